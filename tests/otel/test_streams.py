"""A streamed answer's span lasts until the stream is read to its end or closed, and says how
many events it had, how soon the first came and whether it was read to its end; a stream cut
short fails it; a download's lasts until its body is read. Sync and async, over real HTTP on
127.0.0.1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from chat_events import chat_events
from opentelemetry.trace import StatusCode
from otel_support import Recorded, async_client, sync_client
from wire import RecordingServer

from meibel import StreamInterruptedError
from meibel.testing import FakeMeibel

# chat_events(): connected, status, tool_call, tool_result, four partials and the completion;
# the [DONE] sentinel that follows is no event.
EVENTS = 9
SPAN = "sendChatMessageStream"


def _chat(
    mode: str,
    server: RecordingServer,
    recorded: Recorded,
    read: Callable[[Any], object],
    aread: Callable[[Any], Awaitable[object]],
) -> list[str]:
    """Open a chat stream and read it (`read` or `aread`); the spans ended before reading."""
    url = server.url + "/v2"
    ended: list[str] = []
    if mode == "sync":
        with sync_client(url) as client:
            stream = client.sessions.send_chat_message_stream(session_id="s")
            ended += [span.name for span in recorded.spans()]
            read(stream)
        return ended

    async def main() -> None:
        async with async_client(url) as client:
            stream = await client.sessions.send_chat_message_stream(session_id="s")
            ended.extend(span.name for span in recorded.spans())
            await aread(stream)

    anyio.run(main)
    return ended


async def _final(stream: Any) -> object:
    return await stream.final_response()


def test_a_stream_span_lasts_until_the_stream_is_read_to_its_end(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.stream(chat_events())

    ended = _chat(mode, server, recorded, lambda stream: stream.final_response(), _final)

    assert ended == [], "the span is open while the stream is"
    span = recorded.span(SPAN)
    attributes = span.attributes or {}
    assert attributes["meibel.stream.events"] == EVENTS
    assert attributes["meibel.stream.complete"] is True
    assert attributes["meibel.stream.time_to_first_event"] > 0
    assert span.status.status_code is StatusCode.UNSET
    (point,) = recorded.durations()
    assert point.count == 1


def test_a_stream_closed_early_ends_its_span_at_close(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.stream(chat_events())
    ended_at_close: list[str] = []

    def read(stream: Any) -> None:
        with stream:
            for event in stream:
                if event.type == "content":
                    break
        ended_at_close.extend(span.name for span in recorded.spans())

    async def aread(stream: Any) -> None:
        async with stream:
            async for event in stream:
                if event.type == "content":
                    break
        ended_at_close.extend(span.name for span in recorded.spans())

    _chat(mode, server, recorded, read, aread)

    assert ended_at_close == [SPAN], "closing the stream ends its span, not closing the client"
    attributes = recorded.span(SPAN).attributes or {}
    assert attributes["meibel.stream.events"] == 5  # four events, then the first partial
    assert attributes["meibel.stream.complete"] is False
    assert "error.type" not in attributes


def test_a_stream_cut_short_fails_its_span(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.stream(chat_events()[:5], drop=True)

    async def aread(stream: Any) -> None:
        async for _ in stream:
            pass

    with pytest.raises(StreamInterruptedError):
        _chat(mode, server, recorded, list, aread)

    span = recorded.span(SPAN)
    attributes = span.attributes or {}
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "meibel.StreamInterruptedError"
    assert attributes["meibel.stream.events"] == 5
    assert attributes["meibel.stream.complete"] is False
    assert attributes["http.response.status_code"] == 200


def test_a_download_span_ends_once_its_body_is_read(recorded: Recorded, mode: str) -> None:
    fake = FakeMeibel()
    fake.seed("documents", "doc_1", file=("q4.pdf", b"%PDF-1.7 q4"))
    ended: list[str] = []

    def read(download: Any) -> bytes:
        ended.extend(span.name for span in recorded.spans())
        return bytes(download.read())

    async def aread(download: Any) -> bytes:
        ended.extend(span.name for span in recorded.spans())
        return bytes(await download.read())

    with fake.serve() as url:
        if mode == "sync":
            with sync_client(url) as client:
                read(client.documents.get_document_result("doc_1"))
        else:

            async def main() -> None:
                async with async_client(url) as client:
                    await aread(await client.documents.get_document_result("doc_1"))

            anyio.run(main)

    assert ended == [], "open until its body is read"
    attributes = recorded.span("getDocumentResult").attributes or {}
    assert attributes["http.response.status_code"] == 200
    assert "meibel.stream.events" not in attributes  # a body, not events
