"""partial_response messages become deltas exactly as `partials=` says: no guessing.

Properties (hypothesis) over pieces from a tiny alphabet, so that empty pieces, repeated pieces and
pieces that repeat or extend the text so far are common, in both modes, sync and async, in 1-byte
and random chunks; then the acceptance cases of issue #11 over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire import RecordingServer

from meibel import AsyncMeibelClient, MeibelClient
from meibel._chat import ChatEvent, Partials

KEY = "sk-partials"
PIECES = st.lists(st.text(alphabet="01 a", max_size=3), max_size=12)
MODES = st.sampled_from(["incremental", "cumulative"])


def _event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _envelope(kind: str, **fields: Any) -> dict[str, Any]:
    disposition = "final" if kind == "completion" else "partial"
    return {"type": kind, "disposition": disposition, "sequence": "1", "timestamp": "t", **fields}


def chat_body(pieces: list[str], mode: str, final: str | None = None) -> list[bytes]:
    """A chat stream sending `pieces` as a `mode` server would, then the completion `final`."""
    events = [_event("connected", {"signal_id": "sig"})]
    so_far = ""
    for piece in pieces:
        so_far += piece
        message = so_far if mode == "cumulative" else piece
        data = {"message": message, "clean_message": message}
        events.append(_event("partial_response", _envelope("partial_response", data=data)))
    final = so_far if final is None else final
    data = {"message": final, "clean_message": final}
    events.append(_event("completion", _envelope("completion", data=data)))
    events.append(b"data: [DONE]\n\n")
    return events


def one_byte(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


def random_chunks(data: st.DataObject, body: bytes) -> list[bytes]:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=30), label="cuts"))
    return [body[a:b] for a, b in pairwise([0, *cuts, len(body)])]


@contextmanager
def meibel_warnings() -> Iterator[list[logging.LogRecord]]:
    """The WARNING records of the `meibel` logger while the block runs."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("meibel")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def _sse_response(content: Any) -> httpx2.Response:
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=content)


def run_sync(chunks: list[bytes], partials: Partials) -> list[ChatEvent]:
    transport = httpx2.MockTransport(lambda request: _sse_response(iter(chunks)))
    with MeibelClient(
        api_key=KEY, base_url="http://api.test/v2", http_client=httpx2.Client(transport=transport)
    ) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s", partials=partials)
        with stream:
            return list(stream)


def run_async(chunks: list[bytes], partials: Partials) -> list[ChatEvent]:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async def run() -> list[ChatEvent]:
        transport = httpx2.MockTransport(lambda request: _sse_response(body()))
        http = httpx2.AsyncClient(transport=transport)
        async with AsyncMeibelClient(
            api_key=KEY, base_url="http://api.test/v2", http_client=http
        ) as client:
            stream = await client.sessions.send_chat_message_stream(
                session_id="s", partials=partials
            )
            async with stream:
                return [event async for event in stream]

    return asyncio.run(run())


def deltas(events: list[ChatEvent]) -> list[str]:
    return [event.delta for event in events if event.type == "content"]


def check(events: list[ChatEvent], expected: list[str], final: str) -> None:
    """One content event per non-empty piece, in order; they add up to the final message."""
    assert deltas(events) == expected
    assert "".join(deltas(events)) == final
    assert [event.type for event in events][-1] == "done"
    assert events[-1].response is not None
    assert events[-1].response.message == final


# -- properties -----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, database=None)
@given(pieces=PIECES, tail=st.text(alphabet="01 a", max_size=3), mode=MODES, data=st.data())
def test_sync_deltas_are_the_pieces_in_any_chunking(
    pieces: list[str], tail: str, mode: Partials, data: st.DataObject
) -> None:
    final = "".join(pieces) + tail  # the completion may carry text not streamed yet
    body = b"".join(chat_body(pieces, mode, final))
    expected = [piece for piece in [*pieces, tail] if piece]
    with meibel_warnings() as warned:
        check(run_sync(one_byte(body), mode), expected, final)
        check(run_sync(random_chunks(data, body), mode), expected, final)
    assert warned == []


@settings(max_examples=60, deadline=None, database=None)
@given(pieces=PIECES, tail=st.text(alphabet="01 a", max_size=3), mode=MODES, data=st.data())
def test_async_deltas_are_the_pieces_in_any_chunking(
    pieces: list[str], tail: str, mode: Partials, data: st.DataObject
) -> None:
    final = "".join(pieces) + tail
    body = b"".join(chat_body(pieces, mode, final))
    expected = [piece for piece in [*pieces, tail] if piece]
    with meibel_warnings() as warned:
        check(run_async(one_byte(body), mode), expected, final)
        check(run_async(random_chunks(data, body), mode), expected, final)
    assert warned == []


@settings(max_examples=100, deadline=None, database=None)
@given(pieces=PIECES, final=st.text(alphabet="01 a", max_size=8), mode=MODES)
def test_a_completion_that_disagrees_warns_once_and_makes_up_no_delta(
    pieces: list[str], final: str, mode: Partials
) -> None:
    text = "".join(pieces)
    body = b"".join(chat_body(pieces, mode, final))
    for run in (run_sync, run_async):
        with meibel_warnings() as warned:
            events = run([body], mode)
        streamed = [piece for piece in pieces if piece]
        assert events[-1].response is not None
        assert events[-1].response.message == final  # always the completion's
        if final.startswith(text):
            # The completion extends the text: the rest is one last delta, nothing to warn of.
            assert deltas(events) == streamed + ([final[len(text) :]] if final != text else [])
            assert warned == []
        else:
            assert deltas(events) == streamed
            assert len(warned) == 1
            assert "partials=" in warned[0].getMessage()


# -- the wrong mode is named in the warning -------------------------------------------------------


def test_a_cumulative_server_read_as_incremental_suggests_cumulative(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = chat_body(["The", " revenue", " grew"], "cumulative")
    with caplog.at_level(logging.WARNING, logger="meibel"):
        events = run_sync(body, "incremental")
    assert deltas(events) == ["The", "The revenue", "The revenue grew"]  # as sent, no guess
    assert events[-1].response is not None
    assert events[-1].response.message == "The revenue grew"
    [record] = caplog.records
    assert record.name == "meibel"
    assert record.levelno == logging.WARNING
    assert 'pass partials="cumulative"' in record.getMessage()


def test_an_incremental_server_read_as_cumulative_suggests_incremental(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = chat_body(["The", " revenue", " grew"], "incremental")
    with caplog.at_level(logging.WARNING, logger="meibel"):
        events = run_async(body, "cumulative")
    # " revenue" and " grew" do not extend "The": skipped; the completion delivers the rest.
    assert deltas(events) == ["The", " revenue grew"]
    [record] = caplog.records
    assert "2 partial_response message(s) did not extend" in record.getMessage()
    assert 'use partials="incremental"' in record.getMessage()


def test_a_cumulative_restart_is_skipped_and_the_completion_settles_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    messages = ["Draft", "Draft one", "Final", "Final answer"]
    body = [_event("connected", {"signal_id": "sig"})]
    for message in messages:
        data = {"message": message, "clean_message": message}
        body.append(_event("partial_response", _envelope("partial_response", data=data)))
    data = {"message": "Final answer.", "clean_message": "Final answer."}
    body += [_event("completion", _envelope("completion", data=data)), b"data: [DONE]\n\n"]
    with caplog.at_level(logging.WARNING, logger="meibel"):
        events = run_sync(body, "cumulative")
    assert deltas(events) == ["Draft", " one"]  # nothing made up after the restart
    assert events[-1].response is not None
    assert events[-1].response.message == "Final answer."
    [record] = caplog.records
    assert "does not extend" in record.getMessage()


# -- acceptance, over real HTTP --------------------------------------------------------------------

ACCEPTANCE = ["1", "1", "0", " ha", " ha", "1", "10", "110", "1", "The", "The revenue", " ", " "]
ACCEPTANCE += ["abc", "abcabc"]
CASES = [
    pytest.param(ACCEPTANCE, "incremental", id="pieces-that-repeat-or-extend-the-text"),
    pytest.param([" ha"] * 500, "incremental", id="500-identical-pieces"),
    pytest.param(["The", " revenue", " grew", " 12%", "."], "cumulative", id="cumulative-server"),
]


def _client(server: RecordingServer) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2")


@pytest.mark.parametrize(("pieces", "mode"), CASES)
def test_acceptance_over_http(
    recording_server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
    pieces: list[str],
    mode: Partials,
) -> None:
    recording_server.stream(list(chat_body(pieces, mode)))
    with caplog.at_level(logging.WARNING, logger="meibel"), _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s", partials=mode)
        events = list(stream)
    assert deltas(events) == pieces  # one content event per piece: 500 for 500
    assert "".join(deltas(events)) == "".join(pieces)
    assert stream.result is not None
    assert stream.result.message == "".join(pieces) == stream.text
    assert caplog.records == []


@pytest.mark.anyio
@pytest.mark.parametrize(("pieces", "mode"), CASES)
async def test_acceptance_over_http_async(
    recording_server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
    pieces: list[str],
    mode: Partials,
) -> None:
    recording_server.stream(list(chat_body(pieces, mode)))
    with caplog.at_level(logging.WARNING, logger="meibel"):
        async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
            stream = await client.sessions.send_chat_message_stream(session_id="s", partials=mode)
            async with stream:
                events = [event async for event in stream]
    assert deltas(events) == pieces
    assert stream.result is not None
    assert stream.result.message == "".join(pieces) == stream.text
    assert caplog.records == []


# -- the option on sessions, and a wrong value ------------------------------------------------


def test_session_stream_takes_partials(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"session_id": "s_1"})
    recording_server.stream(list(chat_body(["Rev", "enue", " up"], "cumulative")))
    with _client(recording_server) as client:
        session = client.agents.create_session(agent_id="agent_123")
        stream = session.stream("Q4?", partials="cumulative")
        assert list(stream.text_stream()) == ["Rev", "enue", " up"]
        with pytest.raises(ValueError, match="partials must be"):
            session.stream("Q4?", partials="both")  # type: ignore[arg-type]
    assert len(recording_server.requests) == 2, "a wrong value sends nothing"


@pytest.mark.anyio
async def test_async_session_stream_takes_partials(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"session_id": "s_1"})
    recording_server.stream(list(chat_body(["Rev", "enue", " up"], "cumulative")))
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        session = await client.agents.create_session(agent_id="agent_123")
        stream = await session.stream("Q4?", partials="cumulative")
        assert [delta async for delta in stream.text_stream()] == ["Rev", "enue", " up"]
        with pytest.raises(ValueError, match="partials must be"):
            await session.stream("Q4?", partials="both")  # type: ignore[arg-type]
    assert len(recording_server.requests) == 2


def test_a_wrong_partials_raises_when_iterated_and_closes_the_stream(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(list(chat_body(["a"], "incremental")))
    with _client(recording_server) as client:
        stream = client.sessions.send_chat_message_stream(
            session_id="s",
            partials="both",  # type: ignore[arg-type]
        )
        with pytest.raises(ValueError, match="partials must be"):
            list(stream)
        assert stream.response.is_closed


@pytest.mark.anyio
async def test_a_wrong_partials_raises_when_iterated_async(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(list(chat_body(["a"], "incremental")))
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        stream = await client.sessions.send_chat_message_stream(
            session_id="s",
            partials="both",  # type: ignore[arg-type]
        )
        with pytest.raises(ValueError, match="partials must be"):
            await stream.final_response()
        assert stream.response.is_closed
