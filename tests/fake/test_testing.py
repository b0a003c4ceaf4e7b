"""meibel.testing.FakeMeibel: the vendor-guide flow against the fake, in process and over HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx2
import pytest

from meibel import (
    InternalServerError,
    MeibelClient,
    NotFoundError,
    RateLimitError,
    StreamInterruptedError,
    UnprocessableEntityError,
)
from meibel.models import ChatMessageRequest
from meibel.testing import (
    DEFAULT_REPLY,
    FAKE_BASE_URL,
    FakeMeibel,
    FakeSchemaError,
    FilePart,
    RecordedChat,
    ToolCall,
)
from meibel.testing._schema import spec

ANSWER = "Revenue grew 12% in Q4, driven by enterprise renewals."
SOURCE = {"title": "Q4 report", "url": "https://example.test/q4", "snippet": "grew 12%"}


def _script(fake: FakeMeibel) -> None:
    fake.reply("Q4 was strong.")
    fake.reply(
        ANSWER,
        sources=[SOURCE],
        follow_up_questions=["And Q3?"],
        tool_calls=[ToolCall("search", {"q": "Q4"}, {"hits": 3})],
    )


def _check_stream_events(types: list[str], deltas: list[str], citations: list[Any]) -> None:
    assert types[:4] == ["connected", "status", "tool_call", "tool_result"]
    assert types[-2:] == ["citations", "done"]
    assert "".join(deltas) == ANSWER
    assert len(deltas) == 3  # the text arrives in ~3 incremental pieces
    assert [source.title for source in citations] == ["Q4 report"]


def _check_history(fake: FakeMeibel, roles: list[str], session_id: str) -> None:
    assert roles == ["user", "assistant", "user", "tool", "assistant"]
    session = fake.sessions[session_id]
    assert [item["type"] for item in session.messages] == [
        "user_message",
        "agent_response",
        "user_message",
        "tool_call",
        "agent_response",
    ]
    assert fake.chats == [
        RecordedChat(session_id, "How was Q4?", False, {"user_message": "How was Q4?"}, []),
        RecordedChat(
            session_id,
            "Summarise the attachment.",
            True,
            {"user_message": "Summarise the attachment."},
            [FilePart("files", "a.txt", "text/plain", b"hi")],
        ),
    ]


def test_the_guide_flow_in_process() -> None:
    fake = FakeMeibel()
    _script(fake)
    with fake.client() as client:
        session = client.agents.create_session(agent_id="agent_123")
        assert session.agent_id == "agent_123"
        assert session.created_at is not None
        response = client.sessions.send_chat_message(
            session_id=session.id, body=ChatMessageRequest(user_message="How was Q4?")
        )
        assert response.message == "Q4 was strong."
        assert response.citations == []

        stream = client.sessions.send_chat_message_stream(
            session_id=session.id,
            body=ChatMessageRequest(user_message="Summarise the attachment."),
            files=[("a.txt", b"hi")],
        )
        types: list[str] = []
        deltas: list[str] = []
        citations: list[Any] = []
        with stream:
            for event in stream:
                types.append(event.type)
                if event.type == "content":
                    deltas.append(event.delta)
                elif event.type == "citations":
                    citations = event.citations
        _check_stream_events(types, deltas, citations)
        assert stream.result is not None
        assert stream.result.follow_up_questions == ["And Q3?"]

        history = client.sessions.get_session_messages(session_id=session.id)
        _check_history(fake, [item.role for item in history], session.id)

        details = client.sessions.get_session(session_id=session.id)
        assert [entry.role for entry in details.model.messages] == ["user", "assistant"] * 2
        assert [entry.tool_call.tool_name for entry in details.model.tool_activity] == ["search"]


@pytest.mark.anyio
async def test_the_guide_flow_async() -> None:
    fake = FakeMeibel()
    _script(fake)
    async with fake.async_client() as client:
        session = await client.agents.create_session(agent_id="agent_123")
        response = await client.sessions.send_chat_message(
            session_id=session.id, body=ChatMessageRequest(user_message="How was Q4?")
        )
        assert response.message == "Q4 was strong."
        stream = await client.sessions.send_chat_message_stream(
            session_id=session.id,
            body=ChatMessageRequest(user_message="Summarise the attachment."),
            files=[("a.txt", b"hi")],
        )
        types: list[str] = []
        deltas: list[str] = []
        citations: list[Any] = []
        async with stream:
            async for event in stream:
                types.append(event.type)
                if event.type == "content":
                    deltas.append(event.delta)
                elif event.type == "citations":
                    citations = event.citations
        _check_stream_events(types, deltas, citations)
        history = await client.sessions.get_session_messages(session_id=session.id)
        _check_history(fake, [item.role for item in history], session.id)


def test_default_reply_and_no_citations_without_sources() -> None:
    fake = FakeMeibel()
    client = fake.client()
    session = client.agents.create_session(agent_id="a")
    stream = client.sessions.send_chat_message_stream(
        session_id=session.id, body=ChatMessageRequest(user_message="hi")
    )
    events = list(stream)
    assert "".join(e.delta for e in events if e.type == "content") == DEFAULT_REPLY
    assert "citations" not in [e.type for e in events]
    assert session.chat("again").message == DEFAULT_REPLY


def test_fail_next_answers_fastapi_errors() -> None:
    fake = FakeMeibel()
    client = fake.client(max_retries=0)
    fake.fail_next(404, "Session not found")
    with pytest.raises(NotFoundError) as not_found:
        client.agents.create_session(agent_id="a")
    assert not_found.value.response.json() == {"detail": "Session not found"}

    session = client.agents.create_session(agent_id="a")  # the failure was used up
    fake.fail_next(500, "boom")
    with pytest.raises(InternalServerError):
        session.chat("hi")
    fake.fail_next(500, "boom")
    with pytest.raises(InternalServerError):
        client.sessions.send_chat_message_stream(
            session_id=session.id, body=ChatMessageRequest(user_message="hi")
        )
    detail = [{"type": "missing", "loc": ["body", "x"], "msg": "Field required", "input": None}]
    fake.fail_next(422, detail)
    with pytest.raises(UnprocessableEntityError):
        session.chat("hi")
    fake.fail_next(429, "slow down")
    with pytest.raises(RateLimitError):
        client.sessions.get_session(session_id=session.id)
    assert session.chat("hi").message == DEFAULT_REPLY


def test_fail_next_and_client_retries() -> None:
    fake = FakeMeibel()
    client = fake.client(max_retries=1)  # a failed GET is tried again, and then succeeds
    session = client.agents.create_session(agent_id="a")
    fake.fail_next(503, "unavailable")
    assert client.sessions.get_session(session_id=session.id).id == session.id
    assert [r.operation_id for r in fake.requests[-2:]] == ["getSession", "getSession"]


def test_unknown_session_and_request_validation() -> None:
    fake = FakeMeibel()
    client = fake.client()
    with pytest.raises(NotFoundError):
        client.sessions.get_session_messages(session_id="nope")
    with fake.http_client() as http:
        headers = {"Meibel-API-Key": "k"}
        session = http.post("http://x/v2/agents/a/sessions", headers=headers).json()
        url = f"http://x/v2/sessions/{session['session_id']}/chat"
        answer = http.post(url, json={"message": "hi"}, headers=headers)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["msg"] == "'user_message' is a required property"
        assert http.get("http://x/v2/datasources").status_code == 401  # no key


def test_routing_404_405_and_generic_answers() -> None:
    fake = FakeMeibel()
    headers = {"Meibel-API-Key": "k"}
    with fake.http_client() as http:
        missing = http.get("http://x/v2/no/such/path", headers=headers)
        assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
        assert http.get("http://x/sessions/s", headers=headers).status_code == 404  # no /v2
        assert http.put("http://x/v2/sessions/s/chat", headers=headers).status_code == 405
        tables = http.get("http://x/v2/datasources/d/tables", headers=headers)
        assert (tables.status_code, tables.json()) == (404, {"detail": "Datasource d not found"})
    assert [r.operation_id for r in fake.requests] == [None, None, None, "listTables"]

    class Partial(FakeMeibel):
        _op_listTables = None  # an operation without a handler is answered from the spec

    partial = Partial()
    generic = sorted(["listTables", *FakeMeibel().generic_operations()])  # and a bump's new ones
    assert (partial.unimplemented(), partial.generic_operations()) == ([], generic)
    with partial.http_client() as http:
        tables = http.get("http://x/v2/datasources/d/tables", headers=headers)
        assert (tables.status_code, tables.json()) == (404, {"detail": "Datasource d not found"})
        partial.seed("datasources", "d")
        tables = http.get("http://x/v2/datasources/d/tables", headers=headers)
    assert tables.status_code == 200
    spec().check_response("listTables", tables.json())


def test_drop_after_interrupts_with_partial_text() -> None:
    fake = FakeMeibel()
    fake.reply("abcdefghi", drop_after=4)  # connected, status, then two partial pieces
    client = fake.client()
    session = client.agents.create_session(agent_id="a")
    stream = client.sessions.send_chat_message_stream(
        session_id=session.id, body=ChatMessageRequest(user_message="hi")
    )
    with pytest.raises(StreamInterruptedError) as interrupted:
        for _ in stream:
            pass
    assert interrupted.value.text == "abcdef"
    roles = [item.role for item in client.sessions.get_session_messages(session_id=session.id)]
    assert roles == ["user"]  # the reply never completed


@pytest.mark.anyio
async def test_drop_after_async() -> None:
    fake = FakeMeibel()
    fake.reply("abcdefghi", drop_after=3)
    async with fake.async_client() as client:
        stream = await (await client.agents.create_session(agent_id="a")).stream("hi")
        with pytest.raises(StreamInterruptedError) as interrupted:
            async for _ in stream:
                pass
    assert interrupted.value.text == "abc"


@pytest.mark.parametrize("over", ["transport", "http"])
def test_recorded_requests_keep_what_was_sent(over: str) -> None:
    fake = FakeMeibel()

    def send(http: httpx2.Client, base_url: str) -> None:
        http.post(
            base_url + "/agents/a1/sessions?x=1&y=",
            headers={"Meibel-API-Key": "k", "X-Trace": "t"},
            content=b'{"agent_version": null}',
        )

    if over == "transport":
        with fake.http_client() as http:
            send(http, FAKE_BASE_URL)
    else:
        with fake.serve() as base_url, httpx2.Client() as http:
            send(http, base_url)
    request = fake.requests[-1]
    assert (request.path, request.query) == ("/v2/agents/a1/sessions", {"x": "1", "y": ""})
    assert request.target == "/v2/agents/a1/sessions?x=1&y="
    assert request.body == b'{"agent_version": null}'
    assert request.headers["X-Trace"] == request.headers["x-trace"] == "t"
    assert "MEIBEL-API-KEY" in request.headers
    assert request.headers.get("Meibel-Api-Key") == "k"


def test_recorded_requests_form_fields_and_files() -> None:
    fake = FakeMeibel()
    client = fake.client()
    session = client.agents.create_session(agent_id="agent_9")
    client.sessions.send_chat_message_stream(
        session_id=session.id,
        body=ChatMessageRequest(user_message="read these", include_tool_activity=True),
        files=[("a.txt", b"hi"), ("b.bin", b"\x00\x01\xff")],
    ).final_response()
    request = fake.requests[-1]
    assert request.method == "POST"
    assert request.path == f"/v2/sessions/{session.id}/chat/stream"
    assert request.operation_id == "sendChatMessageStream"
    assert request.form == {"user_message": "read these", "include_tool_activity": "true"}
    assert [(f.field, f.filename, f.data) for f in request.files] == [
        ("files", "a.txt", b"hi"),
        ("files", "b.bin", b"\x00\x01\xff"),
    ]
    assert request.headers["meibel-api-key"] == "fake-key"
    chat = fake.chats[-1]
    assert (chat.session_id, chat.user_message, chat.stream) == (session.id, "read these", True)
    assert [f.data for f in chat.files] == [b"hi", b"\x00\x01\xff"]

    with pytest.raises(NotFoundError):
        client.datasources.get_datasource("missing", include_tables=True)
    assert fake.requests[-1].query == {"include_tables": "true"}


def test_invalid_scripted_source_raises_fake_schema_error() -> None:
    fake = FakeMeibel()
    client = fake.client()
    session = client.agents.create_session(agent_id="a")
    fake.reply("x", sources=[{"url": "https://example.test"}])  # no title
    with pytest.raises(FakeSchemaError, match=r"sendChatMessage.*'title' is a required"):
        session.chat("hi")
    fake.reply("x", sources=[{"url": "https://example.test"}])
    with pytest.raises(FakeSchemaError, match=r"sendChatMessageStream.*'title' is a required"):
        session.stream("hi")
    assert len(fake.schema_errors) == 2
    # Validation happens before the history changes: no half-written turns.
    assert fake.sessions[session.id].messages == []


def test_invalid_tool_result_fails_its_event_schema() -> None:
    fake = FakeMeibel()
    fake.reply("x", tool_calls=[{"name": "search", "result": "not an object"}])
    session = fake.client().agents.create_session(agent_id="a")
    with pytest.raises(FakeSchemaError, match=r"sendChatMessageStream.*'tool_result' event"):
        session.stream("hi")


def test_served_over_http() -> None:
    fake = FakeMeibel()
    fake.reply(ANSWER, sources=[SOURCE], pause_after_first=0.3)
    fake.reply("abcdefghi", drop_after=3)
    with fake.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v2")
        with MeibelClient(api_key="k", base_url=base_url) as client:
            session = client.agents.create_session(agent_id="agent_123")
            stream = client.sessions.send_chat_message_stream(
                session_id=session.id,
                body=ChatMessageRequest(user_message="hi"),
                files=[("a.txt", b"hi")],
            )
            with stream:
                arrivals = [(event.type, time.monotonic()) for event in stream]
            content = [at for kind, at in arrivals if kind == "content"]
            assert len(content) == 3
            assert content[1] - content[0] >= 0.25  # the first piece was flushed before the pause
            assert "".join(stream.text) == ANSWER
            assert [kind for kind, _ in arrivals][-2:] == ["citations", "done"]
            assert fake.chats[0].files[0].data == b"hi"

            with pytest.raises(StreamInterruptedError) as interrupted:
                session.stream("again").final_response()
            assert interrupted.value.text == "abc"
            with pytest.raises(NotFoundError):
                client.sessions.get_session(session_id="nope")
