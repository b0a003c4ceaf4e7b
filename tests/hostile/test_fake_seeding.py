"""FakeMeibel.seed: resources with chosen ids, checked against the spec, that then behave as if
the API had made them; the fake's state is read-only to tests."""

from __future__ import annotations

import re
from typing import Any

import pytest

from meibel import AsyncMeibelClient, ConflictError, NotFoundError
from meibel.models import ChatMessageRequest, CreateDatasourceRequest
from meibel.testing import FakeMeibel, FakeSchemaError


def test_a_seeded_datasource_is_one_the_api_made() -> None:
    fake = FakeMeibel()
    seeded = fake.seed("datasources", "ds_reports", name="Reports", description="Q4")
    client = fake.client(max_retries=0)

    got = client.datasources.get_datasource("ds_reports")
    assert (got.id, got.name, got.description, got.files.total) == (
        "ds_reports",
        "Reports",
        "Q4",
        0,
    )
    assert got.created_at == seeded["created_at"]
    assert [d.id for d in client.datasources.list_datasources().datasources] == ["ds_reports"]
    assert client.datasources.update_datasource("ds_reports", name="Sales").name == "Sales"
    # Its content, tables and data elements, as for a created one.
    client.file_upload.upload_content("ds_reports", files=[("q4.csv", b"region,total\nEU,3\n")])
    assert [i.path for i in client.file_upload.list_content("ds_reports")] == ["q4.csv"]
    assert [t.table_name for t in client.table_descriptions.list_tables("ds_reports")] == ["q4"]
    assert [e.name for e in client.data_elements.list_data_elements("ds_reports")] == ["q4.csv"]
    assert client.datasources.get_datasource("ds_reports").files.total == 1

    assert client.datasources.delete_datasource("ds_reports").id == "ds_reports"
    with pytest.raises(NotFoundError):
        client.datasources.get_datasource("ds_reports")


def test_a_seeded_agent_has_versions_sessions_and_a_unique_name() -> None:
    fake = FakeMeibel()
    fake.seed("agents", "support", display_name="Support", instructions="Be brief.", tags=["t"])
    client = fake.client(max_retries=0)

    agent = client.agents.get_agent("support")
    assert (agent.name, agent.display_name, agent.instructions, agent.version) == (
        "support",
        "Support",
        "Be brief.",
        "1",
    )
    assert "support" in [a.id for a in client.agents.list_agents()]
    assert client.agents.update_agent("support", instructions="Be kind.").version == "2"
    assert client.agents.publish_agent("support", commit_message="go").version == "2"
    session = client.agents.create_session("support")
    assert [s.session_id for s in client.agents.list_sessions("support")] == [session.id]
    # createAgent refuses the seeded agent's name, as it refuses any taken name.
    with pytest.raises(ConflictError):
        client.agents.create_agent(display_name="Support", instructions="x")
    with pytest.raises(ValueError, match=r"agent 'support' is already named 'support'"):
        fake.seed("agents", "other", name="support")


def test_a_seeded_session_belongs_to_its_agent_and_keeps_its_history() -> None:
    fake = FakeMeibel()
    fake.seed("agents", "support")
    history = [{"role": "user", "message": "Hi"}, {"role": "assistant", "message": "Hello"}]
    seeded = fake.seed("sessions", "sess_1", agent_id="support", messages=history)
    assert seeded["agent_name"] == "support"
    fake.reply("Restart the router.")
    client = fake.client(max_retries=0)

    assert [s.session_id for s in client.agents.list_sessions("support")] == ["sess_1"]
    assert [s.session_id for s in client.agents.list_sessions("agent_123")] == []
    session = client.sessions.get_session("sess_1")
    assert [(m.role, m.message) for m in session.model.messages] == [
        ("user", "Hi"),
        ("assistant", "Hello"),
    ]
    reply = client.sessions.send_chat_message(
        "sess_1", body=ChatMessageRequest(user_message="Internet down?")
    )
    assert reply.message == "Restart the router."
    items = client.sessions.get_session_messages("sess_1").messages
    assert [(i.type_, i.message) for i in items] == [
        ("user_message", "Hi"),
        ("agent_response", "Hello"),
        ("user_message", "Internet down?"),
        ("agent_response", "Restart the router."),
    ]
    # A session without an agent_id is the default agent's, as createSession's are.
    assert fake.seed("sessions", "sess_2")["agent_id"] == "agent_123"


def test_seeded_documents_run_as_parse_jobs() -> None:
    fake = FakeMeibel(job_steps=1)
    fake.seed("documents", "doc_done", file=("q4.docx", b"PK fake"))
    fake.seed("documents", "doc_new", status="queued")
    fake.seed("documents", "doc_bad", status="failed", error="encrypted")
    fake.seed("datasources", "ds_1")
    client = fake.client(max_retries=0)

    done = client.documents.get_document_status("doc_done")
    assert (done.status, done.format_, done.pages) == ("completed", "docx", 1)
    structured = client.documents.get_document_structured_result("doc_done")
    assert structured.pages[0].elements[0].text == "q4.docx"
    moved = client.documents.move_documents(documents=["doc_done"], datasource_id="ds_1")
    assert moved.documents_count == 1
    assert [i.path for i in client.file_upload.list_content("ds_1")] == ["q4.docx"]

    # A queued one moves on with each poll, so the waiter sees it through.
    assert client.documents.get_document_status("doc_new").status == "queued"
    assert client.documents.wait("doc_new", poll_interval=0.01).status == "completed"
    failed = client.documents.get_document_status("doc_bad")
    assert (failed.status, failed.error) == ("failed", "encrypted")
    with pytest.raises(ConflictError, match="encrypted"):
        client.documents.get_document_structured_result("doc_bad")


def test_seeded_data_elements_and_artifact_schemas() -> None:
    fake = FakeMeibel()
    fake.seed("datasources", "ds_1")
    fake.seed("datasources", "ds_2")
    fake.seed("data-elements", "el_1", datasource_id="ds_1", name="a.txt")
    fake.seed(
        "artifact_schemas", "invoice", schema_def={"properties": {"total": {"type": "number"}}}
    )
    client = fake.client(max_retries=0)

    element = client.data_elements.get_data_element("el_1", datasource_id="ds_1")
    assert (element.name, element.media_type) == ("a.txt", "text/plain")
    with pytest.raises(NotFoundError):
        client.data_elements.get_data_element("el_1", datasource_id="ds_2")
    updated = client.data_elements.update_data_element(
        "el_1", datasource_id="ds_1", description="d"
    )
    assert updated.description == "d"

    assert client.artifact_schemas.get_artifact_schema("invoice").version == "1"
    assert client.artifact_schemas.update_artifact_schema("invoice", description="x").version == "2"
    result = client.documents.transform_document(
        file=("bill.pdf", b"%PDF"), body={"artifact_schema": "invoice"}
    )
    assert result.data.additional_properties == {"total": 0.0}
    client.artifact_schemas.delete_artifact_schema("invoice")
    assert "invoice" not in fake.artifact_schemas


@pytest.mark.anyio
async def test_seeded_resources_over_http_with_the_async_client() -> None:
    fake = FakeMeibel()
    fake.seed("datasources", "ds q4-ü", name="Q4")  # sent percent-encoded, routed decoded
    fake.seed("agents", "support")
    fake.seed("sessions", "sess_1", agent_id="support")
    with fake.serve() as base_url:
        async with AsyncMeibelClient(api_key="k", base_url=base_url, max_retries=0) as client:
            assert (await client.datasources.get_datasource("ds q4-ü")).name == "Q4"
            session = await client.sessions.get_session("sess_1")
            assert session.agent_id == "support"
            page = await client.agents.list_sessions("support")
            assert [s.session_id for s in page.data] == ["sess_1"]


@pytest.mark.parametrize(
    ("resource", "fields", "error", "message"),
    [
        ("datasources", {"name": 5}, FakeSchemaError, r"DatasourceResponse .* at name: 5 is not"),
        ("datasources", {"nmae": "x"}, FakeSchemaError, r"no field 'nmae' \(did you mean name\?\)"),
        ("datasources", {"connector": {"type": "ftp"}}, FakeSchemaError, r"at connector/type"),
        ("datasources", {"tables": []}, ValueError, r"tables is the fake's to set: upload a CSV"),
        ("agents", {"version": "7"}, ValueError, r"version is the fake's to set"),
        ("agents", {"temperature": "hot"}, FakeSchemaError, r"at temperature"),
        ("sessions", {"agent_id": "nobody"}, ValueError, r"agent_id 'nobody' is not in the fake"),
        ("sessions", {"messages": [{"role": "user"}]}, FakeSchemaError, r"messages/0.*'message'"),
        ("sessions", {"messages": [{"role": "tool", "message": "x"}]}, ValueError, r"role"),
        ("documents", {"status": "done"}, ValueError, r"'done' is not one of queued, processing"),
        ("documents", {"error": "x"}, ValueError, r"an error goes with status 'failed'"),
        ("documents", {"pages": 3}, ValueError, r"pages is the fake's to set"),
        ("documents", {"file": "q4.pdf"}, TypeError, r"file= takes \(filename, bytes\)"),
        ("data-elements", {}, FakeSchemaError, r"'datasource_id' is a required property"),
        ("data-elements", {"datasource_id": "ds_x"}, ValueError, r"datasource_id 'ds_x' is not"),
    ],
)
def test_a_bad_seed_names_the_field_and_leaves_nothing(
    resource: str, fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    fake = FakeMeibel()
    before = {name: dict(getattr(fake, name)) for name in ("agents", "sessions", "datasources")}
    with pytest.raises(error, match=message):
        fake.seed(resource, "the_id", **fields)
    after = {name: dict(getattr(fake, name)) for name in ("agents", "sessions", "datasources")}
    assert after == before
    assert "the_id" not in fake.jobs
    assert "the_id" not in fake.data_elements


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda fake: fake.seed("datasource", "x"), r"no resource 'datasource' \(did you mean"),
        (lambda fake: fake.seed("datasources", ""), r"needs a character other than spaces"),
        (lambda fake: fake.seed("datasources", " \t"), r"needs a character other than spaces"),
        (lambda fake: fake.seed("datasources", "a/b"), r"cannot hold '/'"),
        (lambda fake: fake.seed("agents", "agent_123"), r"already in the fake"),
        (lambda fake: fake.seed("datasources", "a", id="b"), r"two ids, 'a' and id='b'"),
    ],
)
def test_ids_that_no_request_could_reach_are_refused(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(FakeMeibel())


def test_ids_may_come_as_fields_or_be_made_and_never_collide() -> None:
    fake = FakeMeibel()
    assert fake.seed("datasources", id="ds_1", name="Seeded")["id"] == "ds_1"
    assert fake.seed("documents", job_id="job_9")["job_id"] == "job_9"
    made = fake.seed("datasources", name="Made")["id"]
    client = fake.client(max_retries=0)
    created = client.datasources.create_datasource(body=CreateDatasourceRequest(name="API"))
    assert len({"ds_1", made, created.id}) == 3
    assert client.datasources.get_datasource("ds_1").name == "Seeded"


def test_the_state_is_read_only_and_reads_are_copies() -> None:
    fake = FakeMeibel()
    fake.seed("datasources", "ds_1", name="Reports")
    seeded_as = {
        "datasources": "'datasources'",
        "sessions": "'sessions'",
        "parse_jobs": "'documents'",
        "tables": "'tables'",
        "metadata_models": "'metadata-model-catalog'",
        "jobs": "'documents' | 'deep-transform' | 'job' | 'downloads' | 'uploads'",
    }
    for name, resource in seeded_as.items():
        with pytest.raises(TypeError, match=rf"fake\.{name} is read-only: add one with fake\.seed"):
            getattr(fake, name)["x"] = {}
        with pytest.raises(TypeError, match=rf"fake.seed\({re.escape(resource)}, id, \.\.\.\)"):
            getattr(fake, name).pop("ds_1", None)
        with pytest.raises(TypeError, match=r"change or delete it through the API"):
            del getattr(fake, name)["ds_1"]
    copy = fake.datasources["ds_1"]
    copy["name"] = "changed in the test only"
    assert fake.datasources["ds_1"]["name"] == "Reports"
    with fake.client(max_retries=0) as client:
        assert client.datasources.get_datasource("ds_1").name == "Reports"
