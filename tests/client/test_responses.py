"""What a successful answer becomes: unknown fields and enum values kept, an undocumented 2xx
read as the documented one, a body that does not match the spec refused."""

from __future__ import annotations

import json

import pytest
from support import client_for
from wire import RecordingServer

import meibel
from meibel.models import IngestStatus


def test_a_2xx_that_does_not_match_the_spec_raises_instead_of_returning_none(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, {"unexpected": True})
    with (
        client_for(recording_server) as client,
        pytest.raises(meibel.APIResponseValidationError) as e,
    ):
        client.agents.create_session(agent_id="a")
    assert "session_id" in str(e.value)


def test_unknown_fields_are_kept_and_unknown_enum_values_parse(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(
        200,
        {"datasource_id": "d", "status": "paused_by_admin", "new_field": [1]},
    )
    with client_for(recording_server) as client:
        status = client.ingest.get_ingest_status(datasource_id="d")
    assert status.status == "paused_by_admin"
    assert isinstance(status.status, IngestStatus)
    assert IngestStatus("running") is IngestStatus.RUNNING
    assert status.additional_properties["new_field"] == [1]


def test_an_undocumented_2xx_is_parsed_as_the_documented_one(
    recording_server: RecordingServer,
) -> None:
    import gzip

    body = gzip.compress(json.dumps({"session_id": "s_9"}).encode())
    recording_server.respond(201, body, **{"Content-Encoding": "gzip"})
    with client_for(recording_server) as client:
        assert client.agents.create_session(agent_id="a").id == "s_9"
