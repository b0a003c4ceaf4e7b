"""A JSON body given as a dict: sent as its model would send it, or refused naming the model.

`body={"name": "docs"}` is how JSON looks in the API's docs, so it is accepted; what the model
does not know (a typo, a wrong type, a missing required field) is refused before any request,
with a TypeError that names the model and the field, instead of an AttributeError deep down.
"""

from __future__ import annotations

import json

import pytest
from answers import DATASOURCE
from wire import RecordingServer

from meibel import AsyncMeibelClient, MeibelClient
from meibel.models import CreateDatasourceRequest

KEY = "sk-bodies"


def _client(server: RecordingServer) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2", max_retries=0)


def test_a_dict_body_sends_what_the_model_sends(recording_server: RecordingServer) -> None:
    recording_server.respond(200, DATASOURCE)
    recording_server.respond(200, DATASOURCE)
    with _client(recording_server) as client:
        made = client.datasources.create_datasource(
            body={"name": "docs", "connector": None, "metadata_config": {"fields": []}}
        )
        client.datasources.create_datasource(
            body=CreateDatasourceRequest.from_dict(
                {"name": "docs", "connector": None, "metadata_config": {"fields": []}}
            )
        )
    assert made.id == DATASOURCE["id"]
    first, second = recording_server.requests
    assert first.body == second.body
    assert json.loads(first.body)["connector"] is None  # an explicit null stays one


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"nme": "docs"}, r"create_datasource\(\) body= lacks the CreateDatasourceRequest field"),
        (
            {"name": "docs", "descripton": "typo"},
            r"CreateDatasourceRequest does not know: descripton .*extra_body=",
        ),
        ({"name": 5}, r"field 'name' of CreateDatasourceRequest must be str, not int"),
        ({"name": "d", "description": True}, r"field 'description' .* must be str or NoneType"),
        (["name", "docs"], r"body= must be a CreateDatasourceRequest or a dict of its fields"),
        ("docs", r"body= must be a CreateDatasourceRequest or a dict of its fields, not str"),
    ],
)
def test_a_body_the_model_cannot_be_is_refused_before_any_request(
    recording_server: RecordingServer, body: object, message: str
) -> None:
    with _client(recording_server) as client, pytest.raises(TypeError, match=message):
        client.datasources.create_datasource(body=body)  # type: ignore[arg-type]
    assert recording_server.requests == []


def test_extra_fields_go_through_extra_body(recording_server: RecordingServer) -> None:
    recording_server.respond(200, DATASOURCE)
    with _client(recording_server) as client:
        client.datasources.create_datasource(body={"name": "docs"}, extra_body={"beta": 1})
    assert json.loads(recording_server.requests[0].body) == {"name": "docs", "beta": 1}


@pytest.mark.anyio
async def test_async_dict_bodies(recording_server: RecordingServer) -> None:
    recording_server.respond(200, DATASOURCE)
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        await client.datasources.create_datasource(body={"name": "docs"})
        with pytest.raises(TypeError, match="does not know: nam"):
            await client.datasources.create_datasource(body={"name": "a", "nam": "b"})
    assert [json.loads(r.body) for r in recording_server.requests] == [{"name": "docs"}]
