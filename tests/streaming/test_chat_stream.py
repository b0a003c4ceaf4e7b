"""The streaming chat endpoint, through a real local server emitting the seed-002 event sequence."""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path

import pytest
from chat_events import FINAL, KEY, PIECES, _client, _envelope, _event, chat_events
from wire import RecordingServer, parse_multipart

from meibel import (
    AsyncMeibelClient,
    MalformedEventError,
    NotFoundError,
    StreamEventError,
    StreamInterruptedError,
    StreamStalledError,
)
from meibel._chat import Partials
from meibel.models import ChatMessageRequest, ConnectedEvent, ToolCallEvent

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
