"""The streaming chat endpoint, through a real local server emitting the seed-002 event sequence."""

from __future__ import annotations

import hashlib
import io
import json
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from wire import RecordingServer, parse_multipart

from meibel import (
    AsyncMeibelClient,
    MalformedEventError,
    MeibelClient,
    NotFoundError,
    StreamEventError,
    StreamInterruptedError,
    StreamStalledError,
)
from meibel._chat import Partials
from meibel.models import ChatMessageRequest, ConnectedEvent, ToolCallEvent

KEY = "sk-stream-test"
FINAL = "Revenue grew 12% in Q4 [1]."
PIECES = ["Revenue", " grew 12%", " in Q4", " [1]."]
SOURCE = {"source_id": 1, "data_element_id": "de_9", "title": "Q4 report", "url": None}


def _event(name: str, data: dict[str, Any], newline: bytes = b"\n") -> bytes:
    return (
        b"event: " + name.encode() + newline + b"data: " + json.dumps(data).encode() + newline * 2
    )


def _envelope(kind: str, sequence: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "disposition": "final" if kind == "completion" else "partial",
        "sequence": str(sequence),
        "timestamp": "2026-11-22T10:00:00Z",
        **fields,
    }


def chat_events(
    mode: str = "incremental", newline: bytes = b"\n", sources: bool = True
) -> list[bytes | float]:
    """The seed-002 sequence: connected, status, tool_call, tool_result, partials, completion."""
    events: list[bytes | float] = [
        _event("connected", {"signal_id": "sig_1"}, newline),
        _event("status", _envelope("status", 1, content="Searching the datasource"), newline),
        _event(
            "tool_call",
            _envelope("tool_call", 2, tool_id="t1", tool_name="search", arguments={"q": "Q4"}),
            newline,
        ),
        _event(
            "tool_result", _envelope("tool_result", 3, tool_id="t1", result={"hits": 3}), newline
        ),
    ]
    text = ""
    for i, piece in enumerate(PIECES):
        text += piece
        message = text if mode == "cumulative" else piece
        data = {"message": message, "clean_message": message}
        events.append(_event("partial_response", _envelope("partial_response", 4 + i, data=data)))
    final: dict[str, Any] = {
        "message": FINAL,
        "clean_message": "Revenue grew 12% in Q4.",
        "follow_up_questions": ["And Q3?"],
    }
    if sources:
        final["sources"] = [SOURCE]
        final["citations"] = [{"position": 23, "source_ids": [1]}]
    events.append(_event("completion", _envelope("completion", 9, data=final), newline))
    events.append(b"data: [DONE]" + newline * 2)
    return events


def _client(server: RecordingServer, **options: Any) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2", **options)


GUIDE_STREAM = """
from meibel.models import ChatMessageRequest

stream = client.sessions.send_chat_message_stream(
    session_id=session.id,
    body=ChatMessageRequest(
        user_message="Summarize the revenue trends over the last 3 quarters.",
    ),
)

for event in stream:
    if event.type == "content":
        print(event.delta, end="", flush=True)
    elif event.type == "citations":
        print("\\n\\nCitations:", event.citations)
    elif event.type == "done":
        print("\\n\\n[Stream complete]")
"""


def test_the_guide_streaming_snippet_runs_verbatim(
    recording_server: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    recording_server.respond(200, {"session_id": "session_1"})
    recording_server.stream(chat_events())
    with _client(recording_server) as client:
        session = client.agents.create_session(agent_id="agent_123")
        exec(GUIDE_STREAM, {"client": client, "session": session})

    out = capsys.readouterr().out
    text, _, rest = out.partition("\n\nCitations: ")
    assert text == FINAL
    assert "Q4 report" in rest
    assert rest.endswith("\n\n[Stream complete]\n")
    request = recording_server.requests[1]
    assert request.target == "/v2/sessions/session_1/chat/stream"
    assert request.headers["Accept"] == "text/event-stream"
    fields = {
        p.field: p.data for p in parse_multipart(request.headers["Content-Type"], request.body)
    }
    assert fields == {"user_message": b"Summarize the revenue trends over the last 3 quarters."}


def test_event_model_extras_and_typed_spec_events(recording_server: RecordingServer) -> None:
    recording_server.stream(chat_events())
    with _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(
            session_id="s", body=ChatMessageRequest(user_message="hi")
        )
        events = list(stream)
    types = [e.type for e in events]
    assert types == [
        "connected",
        "status",
        "tool_call",
        "tool_result",
        "content",
        "content",
        "content",
        "content",
        "citations",
        "done",
    ]
    assert isinstance(events[0].model, ConnectedEvent)
    assert isinstance(events[2].model, ToolCallEvent)
    assert events[2].model.data.tool_name == "search"
    assert events[8].citations[0].title == "Q4 report"
    result = events[-1].response
    assert result is not None
    assert result.message == FINAL
    assert result.follow_up_questions == ["And Q3?"]
    assert result.signal_id == "sig_1"
    assert stream.text == FINAL
    assert stream.result == result


def test_citations_mean_the_cited_sources_on_reply_event_and_result(
    recording_server: RecordingServer,
) -> None:
    from answers import CHAT_RESPONSE

    recording_server.respond(200, CHAT_RESPONSE)
    recording_server.stream(chat_events())
    with _client(recording_server) as client:
        reply = client.sessions.send_chat_message(
            session_id="s", body=ChatMessageRequest(user_message="Q4?")
        )
        stream = client.sessions.send_chat_message_stream(session_id="s")
        [event] = [e for e in stream if e.type == "citations"]
    result = stream.result
    assert result is not None
    # One meaning: the sources the reply cites, on the reply, the event and the result.
    assert [s.title for s in reply.citations] == ["Q4 report"]
    assert [s.title for s in event.citations] == ["Q4 report"]
    assert result.citations == event.citations == result.sources
    assert (result.citations[0].source_id, result.citations[0].data_element_id) == (1, "de_9")
    # The completion's own citation marks: where the text cites which sources.
    [mark] = result.citation_marks
    assert (mark.position, mark.source_ids) == (23, [1])


def test_no_citations_without_sources(recording_server: RecordingServer) -> None:
    recording_server.stream(chat_events(sources=False))
    with _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s")
        result = stream.final_response()
    assert (result.citations, result.sources, result.citation_marks) == ([], [], [])


def test_no_citations_event_without_sources(recording_server: RecordingServer) -> None:
    recording_server.stream(chat_events(sources=False))
    with _client(recording_server) as client:
        types = [e.type for e in client.sessions.send_chat_message_stream(session_id="s")]
    assert "citations" not in types
    assert types[-1] == "done"
    assert types.count("done") == 1


def test_crlf_framing_and_keep_alive_comments(recording_server: RecordingServer) -> None:
    events = chat_events(newline=b"\r\n")
    events[1:1] = [b": keep-alive\r\n\r\n", 0.05, b":\r\n\r\n"]
    recording_server.stream(events)
    with _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s")
        assert "".join(stream.text_stream()) == FINAL


def test_first_content_arrives_before_a_pause_ends(recording_server: RecordingServer) -> None:
    events = chat_events()
    first_partial = next(i for i, e in enumerate(events) if b"partial_response" in bytes(e))
    events.insert(first_partial + 1, 1.5)
    recording_server.stream(events)
    with _client(recording_server) as client:
        started = time.monotonic()
        stream = client.sessions.send_chat_message_stream(session_id="s")
        arrivals = [(e.type, time.monotonic() - started) for e in stream]
    first_content = next(t for kind, t in arrivals if kind == "content")
    assert first_content < 1.0, "the first delta must not wait for the pause"
    assert arrivals[-1][1] >= 1.5


def test_dropped_connection_raises_with_the_partial_text(recording_server: RecordingServer) -> None:
    events = chat_events()
    cut = next(i for i, e in enumerate(events) if b"completion" in bytes(e))
    recording_server.stream(events[: cut - 1], drop=True)
    seen = []
    with _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s")
        with pytest.raises(StreamInterruptedError) as caught:
            seen.extend(event.delta for event in stream if event.type == "content")
    assert caught.value.text == "".join(PIECES[:3])
    assert "".join(seen) == caught.value.text


def test_clean_end_without_completion_or_done_is_an_interruption(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(chat_events()[:5])
    with _client(recording_server) as client, pytest.raises(StreamInterruptedError) as caught:
        client.sessions.send_chat_message_stream(session_id="s").final_response()
    assert caught.value.text == "Revenue"


def test_http_error_raises_before_any_event(recording_server: RecordingServer) -> None:
    recording_server.respond(404, {"detail": "session not found"})
    with _client(recording_server) as client, pytest.raises(NotFoundError, match="not found"):
        client.sessions.send_chat_message_stream(session_id="missing")


def test_error_event_after_the_200_raises_with_its_payload(
    recording_server: RecordingServer,
) -> None:
    error = {"error": {"status_code": 503, "message": "model overloaded"}}
    recording_server.stream([*chat_events()[:5], _event("error", error)])
    with _client(recording_server) as client, pytest.raises(StreamEventError) as caught:
        list(client.sessions.send_chat_message_stream(session_id="s"))
    assert caught.value.status_code == 503
    assert caught.value.body == error
    assert "model overloaded" in str(caught.value)


def test_malformed_json_in_a_known_event_names_the_event(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream([b"event: partial_response\ndata: {not json\n\n"])
    with _client(recording_server) as client, pytest.raises(MalformedEventError) as caught:
        list(client.sessions.send_chat_message_stream(session_id="s"))
    assert caught.value.event == "partial_response"
    assert "{not json" in str(caught.value)


def test_unknown_events_pass_through(recording_server: RecordingServer) -> None:
    events = chat_events()
    events.insert(2, b'event: reasoning\ndata: {"text": "thinking"}\n\n')
    events.insert(3, b"event: heartbeat\ndata: tick\n\n")
    recording_server.stream(events)
    with _client(recording_server) as client:
        stream = list(client.sessions.send_chat_message_stream(session_id="s"))
    reasoning = next(e for e in stream if e.type == "reasoning")
    assert reasoning.data == {"text": "thinking"}
    assert reasoning.model is None
    assert next(e for e in stream if e.type == "heartbeat").data == "tick"


def test_unicode_line_separators_in_data_arrive_intact(recording_server: RecordingServer) -> None:
    events = chat_events()
    tricky = "line\u2028separator\u2029para\x85nel\x0bvt"
    data = {"message": tricky, "clean_message": tricky}
    events[4] = _event("partial_response", _envelope("partial_response", 4, data=data))
    recording_server.stream([*events[:5], events[-1]])
    with _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s")
        assert "".join(stream.text_stream()) == tricky


def test_a_stalled_stream_raises_but_keep_alives_keep_it_healthy(
    recording_server: RecordingServer,
) -> None:
    healthy = chat_events()
    healthy[1:1] = [0.3, b": ping\n\n", 0.3, b": ping\n\n", 0.3, b": ping\n\n"]
    recording_server.stream(healthy)
    stalled = chat_events()[:5]
    stalled.append(2.0)
    recording_server.stream(stalled)
    with _client(recording_server, stream_idle_timeout=0.6) as client:
        assert client.sessions.send_chat_message_stream(session_id="s").final_response()
        with pytest.raises(StreamStalledError) as caught:
            client.sessions.send_chat_message_stream(session_id="s").final_response()
    assert caught.value.text == "Revenue"
    assert caught.value.idle_timeout == 0.6


def test_break_releases_the_connection_at_once(recording_server: RecordingServer) -> None:
    events = chat_events()
    events.insert(6, 5.0)  # the server would keep the stream open for a long time
    recording_server.stream(events)
    with _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s")
        started = time.monotonic()
        for event in stream:
            if event.type == "content":
                break
        assert stream.response.is_closed
        assert time.monotonic() - started < 2.0


def test_connections_return_to_the_pool_across_a_thousand_streams(
    recording_server: RecordingServer,
) -> None:
    body = chat_events()
    with _client(recording_server) as client:
        for _ in range(1000):
            recording_server.stream(body)
            stream = client.sessions.send_chat_message_stream(session_id="s")
            assert stream.final_response().message == FINAL
            assert stream.response.is_closed
    assert recording_server.connections == 1, "every stream reused the one pooled connection"


def test_three_mixed_attachments_arrive_as_three_files_parts(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    report = tmp_path / "q4 report.pdf"
    report.write_bytes(b"%PDF-1.7 " + bytes(range(256)) * 40)
    sheet = io.BytesIO(b"quarter,revenue\nQ4,12\n")
    notes = b"notes: growth \xe2\x9c\x93"
    recording_server.stream(chat_events())
    with _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(
            session_id="s",
            body=ChatMessageRequest(user_message="compare", include_thinking=False),
            files=[report, ("figures.csv", sheet), ("notes.txt", notes, "text/plain")],
        )
        stream.final_response()
    assert not sheet.closed, "a file the caller passed stays open"
    request = recording_server.requests[0]
    assert int(request.headers["Content-Length"]) == len(request.body)
    parts = parse_multipart(request.headers["Content-Type"], request.body)
    files = [p for p in parts if p.field == "files"]
    assert [(p.filename, hashlib.sha256(p.data).hexdigest()) for p in files] == [
        ("q4 report.pdf", hashlib.sha256(report.read_bytes()).hexdigest()),
        ("figures.csv", hashlib.sha256(sheet.getvalue()).hexdigest()),
        ("notes.txt", hashlib.sha256(notes).hexdigest()),
    ]
    assert [p.content_type for p in files] == ["application/pdf", "text/csv", "text/plain"]
    fields = {p.field: p.data for p in parts if p.filename is None}
    assert fields == {"user_message": b"compare", "include_thinking": b"false"}


def test_a_missing_attachment_fails_before_any_byte_is_sent(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.pdf"
    with _client(recording_server) as client, pytest.raises(FileNotFoundError, match=r"nope\.pdf"):
        client.sessions.send_chat_message_stream(session_id="s", files=[missing])
    assert recording_server.requests == []


# -- async -----------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["cumulative", "incremental"])
async def test_async_stream_deltas_add_up(
    recording_server: RecordingServer, mode: Partials
) -> None:
    recording_server.stream(chat_events(mode))
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        stream = await client.sessions.send_chat_message_stream(
            session_id="s",
            body=ChatMessageRequest(user_message="hi"),
            files=[b"raw bytes"],
            partials=mode,
        )
        deltas, types = [], []
        async with stream:
            async for event in stream:
                types.append(event.type)
                if event.type == "content":
                    deltas.append(event.delta)
    assert "".join(deltas) == FINAL
    assert types[-2:] == ["citations", "done"]
    assert stream.result is not None
    assert [source.title for source in stream.result.citations] == ["Q4 report"]
    assert stream.result.citation_marks[0].source_ids == [1]


@pytest.mark.anyio
async def test_async_interruption_and_close(recording_server: RecordingServer) -> None:
    recording_server.stream(chat_events()[:6], drop=True)
    recording_server.stream([*chat_events()[:6], 5.0])
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        stream = await client.sessions.send_chat_message_stream(session_id="s")
        with pytest.raises(StreamInterruptedError) as caught:
            await stream.final_response()
        assert caught.value.text == "Revenue grew 12%"

        stream = await client.sessions.send_chat_message_stream(session_id="s")
        async with stream:
            async for event in stream:
                if event.type == "content":
                    break
        assert stream.response.is_closed


# -- the same machinery for every multipart and event-stream operation ---------------------------


def test_document_and_datasource_uploads_stream_their_files(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    document = tmp_path / "contract.pdf"
    document.write_bytes(b"%PDF-1.7 contract")
    recording_server.respond(200, {"job_id": "j1", "status": "queued"})
    recording_server.respond(
        200,
        {
            "success": True,
            "message": "ok",
            "datasource_id": "d",
            "upload_id": "u1",
            "sse_url": "/datasources/uploads/u1/progress",
        },
    )
    with _client(recording_server) as client:
        job = client.documents.parse_document(file=document)
        upload = client.file_upload.upload_content("d", files=[document, ("b.txt", b"bee")])
    assert job.job_id == "j1"
    assert upload.upload_id == "u1"
    parse_request, upload_request = recording_server.requests
    [part] = parse_multipart(parse_request.headers["Content-Type"], parse_request.body)
    assert (part.field, part.filename, part.data) == ("file", "contract.pdf", b"%PDF-1.7 contract")
    parts = parse_multipart(upload_request.headers["Content-Type"], upload_request.body)
    assert [(p.field, p.filename) for p in parts] == [("files", "contract.pdf"), ("files", "b.txt")]


def test_progress_streams_yield_typed_events(recording_server: RecordingServer) -> None:
    recording_server.stream(
        [
            b'data: {"status": "uploading", "progress": 0.5}\n\n',
            b'event: complete\ndata: {"status": "done"}\n\n',
        ]
    )
    with _client(recording_server) as client:
        events = list(client.file_upload.stream_upload_progress("u1"))
    assert [e.type for e in events] == ["message", "complete"]
    assert events[0].model is not None
    assert events[0].model.additional_properties == {"status": "uploading", "progress": 0.5}
    assert events[1].data == {"status": "done"}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("how", ["dropped", "stalled"])
def test_a_progress_stream_cut_short_raises_instead_of_ending_quietly(
    how: str, mode: str, recording_server: RecordingServer
) -> None:
    # No sentinel ends these streams, so only the body's own end is an end: a connection lost
    # (or silent) midway used to end the loop as if the stream were complete.
    first = b'data: {"status": "uploading", "progress": 0.5}\n\n'
    recording_server.stream([first] if how == "dropped" else [first, 3.0], drop=True)
    error = StreamInterruptedError if how == "dropped" else StreamStalledError
    seen: list[Any] = []
    options = {"api_key": KEY, "base_url": recording_server.url + "/v2", "stream_idle_timeout": 0.3}

    async def read_async() -> None:
        async with AsyncMeibelClient(**options) as client:
            stream = await client.file_upload.stream_upload_progress("u1")
            async with stream:
                async for event in stream:  # not a comprehension: it loses what came before
                    seen.append(event)  # noqa: PERF401

    def read() -> None:
        if mode == "async":
            anyio.run(read_async)
            return
        with MeibelClient(**options) as client:
            seen.extend(client.file_upload.stream_upload_progress("u1"))

    with pytest.raises(error):
        read()
    assert [event.data for event in seen] == [{"status": "uploading", "progress": 0.5}]


def test_a_known_event_that_breaks_the_spec_raises_when_its_model_is_read(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream([_event("tool_call", {"tool_id": "t1"}), b"data: [DONE]\n\n"])
    with _client(recording_server) as client:
        [tool_call, _done] = list(client.sessions.send_chat_message_stream(session_id="s"))
    with pytest.raises(MalformedEventError, match="ToolCallEvent"):
        _ = tool_call.model


# -- sessions bound to their client ----------------------------------------------------------------


def test_a_session_chats_streams_and_reads_its_history(recording_server: RecordingServer) -> None:
    from answers import CHAT_RESPONSE, MESSAGES, SESSION_DETAILS

    recording_server.respond(200, {"session_id": "s_7"})
    recording_server.respond(200, CHAT_RESPONSE)
    recording_server.stream(chat_events())
    recording_server.respond(200, MESSAGES)
    recording_server.respond(200, SESSION_DETAILS)
    with _client(recording_server) as client:
        session = client.agents.create_session(agent_id="agent_123")
        assert (session.id, session.agent_id, session.created_at) == ("s_7", "agent_123", None)
        assert session.chat("Q4?", include_thinking=True).message == "Revenue grew 12% [1]."
        assert session.stream("More", files=[("a.txt", b"a")]).final_response().message == FINAL
        assert [m.role for m in session.messages()] == ["user", "assistant", "tool"]
        details = session.refresh()
    assert (details.id, details.agent_id, details.status) == ("s_7", "agent_123", "running")
    assert repr(session) == "Session(id='s_7', agent_id='agent_123')"
    paths = [(r.method, r.target) for r in recording_server.requests]
    assert paths == [
        ("POST", "/v2/agents/agent_123/sessions"),
        ("POST", "/v2/sessions/s_7/chat"),
        ("POST", "/v2/sessions/s_7/chat/stream"),
        ("GET", "/v2/sessions/s_7/messages"),
        ("GET", "/v2/sessions/s_7"),
    ]
    assert json.loads(recording_server.requests[1].body) == {
        "user_message": "Q4?",
        "include_thinking": True,
    }


@pytest.mark.anyio
async def test_an_async_session_behaves_the_same(recording_server: RecordingServer) -> None:
    from answers import CHAT_RESPONSE, MESSAGES, SESSION_DETAILS

    recording_server.respond(200, SESSION_DETAILS)
    recording_server.respond(200, CHAT_RESPONSE)
    recording_server.stream(chat_events("incremental"))
    recording_server.respond(200, MESSAGES)
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        session = await client.sessions.get_session(session_id="s_8")
        assert (session.id, session.agent_id) == ("s_8", "agent_123")
        assert (await session.chat("Q4?")).message == "Revenue grew 12% [1]."
        stream = await session.stream("More")
        assert (await stream.final_response()).message == FINAL
        assert len(await session.messages()) == 3


def test_artifacts_save_inline_and_stored_content(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    import base64

    from meibel.models import Artifact

    report = Artifact(artifact_id="a1", filename="report.md", mime_type="text/markdown")
    report.content = "# Q4\nRevenue grew."
    assert report.save(tmp_path).read_text() == "# Q4\nRevenue grew."

    chart = Artifact(artifact_id="a2", filename="chart.png", mime_type="image/png")
    chart.content = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    assert chart.save(tmp_path / "c.png").read_bytes() == b"\x89PNG\r\n\x1a\n"

    recording_server.respond(200, b"zip bytes" * 1000, **{"Content-Type": "application/zip"})
    bundle = Artifact(artifact_id="a3", filename="bundle.zip", mime_type="application/zip")
    bundle.storage_url = recording_server.url + "/storage/bundle.zip?sig=abc"
    assert bundle.save(tmp_path).read_bytes() == b"zip bytes" * 1000
    assert recording_server.requests[0].headers.get("Meibel-API-Key") is None

    empty = Artifact(artifact_id="a4", filename="x.txt", mime_type="text/plain")
    with pytest.raises(ValueError, match="neither content nor a storage_url"):
        empty.save(tmp_path)
