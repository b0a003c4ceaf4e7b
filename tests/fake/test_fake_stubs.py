"""FakeMeibel.stub: script the next answer(s) of any operation, checked against the spec."""

from __future__ import annotations

import pytest

from meibel import (
    InternalServerError,
    MeibelClient,
    NotFoundError,
    UnprocessableEntityError,
)
from meibel.models import CreateDatasourceRequest
from meibel.testing import FakeMeibel, FakeSchemaError

STATUS = {"job_id": "job_x", "status": "processing", "format": "pdf"}


def test_a_stub_answers_the_next_call_then_the_fake_again() -> None:
    fake = FakeMeibel()
    client = fake.client(max_retries=0)
    fake.stub("listDatasources", json={"datasources": []})
    created = client.datasources.create_datasource(
        body=CreateDatasourceRequest(name="R")
    )  # not stubbed
    assert client.datasources.list_datasources().datasources == []
    assert [d.id for d in client.datasources.list_datasources().datasources] == [created.id]


def test_a_sequence_answers_in_turn() -> None:
    fake = FakeMeibel()
    client = fake.client(max_retries=0)
    job = client.documents.parse_document(file=("q4.pdf", b"%PDF")).job_id
    fake.stub(
        "getDocumentStatus",
        sequence=[
            {**STATUS, "status": "queued"},  # a JSON value: answered with status 200
            {"json": STATUS, "status": 200},
            {"status": 404, "json": {"detail": "gone"}},
            {"status": 503},  # a default {"detail": ...} body
        ],
    )
    assert client.documents.get_document_status(job).status == "queued"
    assert client.documents.get_document_status(job).status == "processing"
    with pytest.raises(NotFoundError, match="gone"):
        client.documents.get_document_status(job)
    with pytest.raises(InternalServerError, match="Service Unavailable"):
        client.documents.get_document_status(job)
    # Then the fake's own job: its first poll.
    assert client.documents.get_document_status(job).status == "queued"


def test_stubs_queue_up_and_keep_headers() -> None:
    fake = FakeMeibel()
    fake.stub("listScoringJobs", json=[], headers={"X-Request-Id": "req_1"})
    fake.stub("listScoringJobs", json=[], status=200)
    client = fake.client()
    raw = client.confidence_scoring.with_raw_response.list_scoring_jobs()
    assert (raw.status_code, raw.request_id, raw.parse()) == (200, "req_1", [])
    assert client.confidence_scoring.with_raw_response.list_scoring_jobs().request_id is None


def test_an_invalid_stub_fails_at_once() -> None:
    fake = FakeMeibel()
    with pytest.raises(FakeSchemaError, match=r"getDocumentStatus.*'format' is a required"):
        fake.stub("getDocumentStatus", json={"job_id": "j", "status": "queued"})
    with pytest.raises(FakeSchemaError, match=r"sequence|getDocumentStatus"):
        fake.stub("getDocumentStatus", sequence=[STATUS, {"json": {"status": 1}}])
    with pytest.raises(FakeSchemaError, match="declares no 201 answer"):
        fake.stub("createAgent", json={}, status=201)
    with pytest.raises(FakeSchemaError, match="no content"):
        fake.stub("deleteAgent", json={"deleted": True}, status=204)
    with pytest.raises(FakeSchemaError, match="event stream"):
        fake.stub("streamUploadProgress", json={"status": "completed"})
    with pytest.raises(FakeSchemaError, match=r"getAgent: the 422 response body.*detail"):
        fake.stub("getAgent", json={"detail": "not a list"}, status=422)
    with pytest.raises(TypeError, match="json= or sequence="):
        fake.stub("getAgent", json={}, sequence=[])
    assert fake._stubs == {}  # nothing half-queued


def test_an_unknown_operation_names_close_matches() -> None:
    fake = FakeMeibel()
    with pytest.raises(ValueError, match=r"no operation 'getAgents'; did you mean getAgent"):
        fake.stub("getAgents", json={})
    with pytest.raises(ValueError, match=r"no operation 'nothing_like_it'$"):
        fake.stub("nothing_like_it")


def test_stubs_for_errors_and_no_content() -> None:
    fake = FakeMeibel()
    client = fake.client(max_retries=0)
    fake.stub("deleteAgent", status=204)  # the agent does not exist; the stub answers anyway
    assert client.agents.delete_agent("nope") is None
    fake.stub("streamUploadProgress", status=500, json={"detail": "boom"})
    with pytest.raises(InternalServerError, match="boom"):
        client.file_upload.stream_upload_progress("u1")
    fake.stub("getAgent", status=422)
    with pytest.raises(UnprocessableEntityError):
        client.agents.get_agent("agent_123")
    assert client.agents.get_agent("agent_123").id == "agent_123"


def test_fail_next_authentication_and_validation_come_first() -> None:
    fake = FakeMeibel()
    fake.stub("listDatasources", json={"datasources": []})
    fake.fail_next(404, "first")
    with fake.http_client() as http:
        assert http.get("http://x/v2/datasources", headers={"Meibel-API-Key": "k"}).json() == {
            "detail": "first"
        }
        assert http.get("http://x/v2/datasources").status_code == 401
        answer = http.get("http://x/v2/datasources", headers={"Meibel-API-Key": "k"})
    assert answer.json() == {"datasources": []}


def test_stubs_over_http() -> None:
    fake = FakeMeibel()
    fake.stub("getScoringJob", sequence=[{"status": 404}])
    with fake.serve() as base_url, MeibelClient(api_key="k", base_url=base_url) as client:
        with pytest.raises(NotFoundError, match="Not Found"):
            client.confidence_scoring.get_scoring_job("s1")
        fake.stub("deleteArtifactSchema", status=204)
        assert client.artifact_schemas.delete_artifact_schema("a1") is None
