"""max_event_size bounds what a stream buffers for one event; a real server on 127.0.0.1.

A line that never ends or an event that never ends raises EventTooLargeError (a StreamError) and
the connection goes back to the pool; events within the limit, 4 MiB ones under the default
included, arrive whole. The 256 MiB case measures the peak RSS of a client in its own process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx2
import pytest
from chat_events import FINAL, KEY, _envelope, _event, chat_events
from wire import RecordingServer

from meibel import AsyncMeibelClient, EventTooLargeError, MeibelClient, StreamError
from meibel._client import DEFAULT_MAX_EVENT_SIZE
from meibel.models import ChatMessageRequest

MiB = 1024 * 1024
CHUNK = 64 * 1024
BODY = ChatMessageRequest(user_message="hi")


def endless_line(total: int, chunk: int = CHUNK) -> list[bytes | float]:
    """`total` bytes of one `data:` line that never ends, in `chunk`-sized pieces."""
    piece = b"x" * chunk
    return [b"data: ", *[piece] * (total // chunk)]


def pieces(body: bytes, chunk: int) -> list[bytes | float]:
    return [body[i : i + chunk] for i in range(0, len(body), chunk)]


def chat_with(partial: bytes, message: str = FINAL) -> bytes:
    """A whole chat around one partial response event, completed with `message`."""
    final = {"message": message, "clean_message": message}
    return b"".join(
        [
            _event("connected", {"signal_id": "sig_1"}),
            partial,
            _event("completion", _envelope("completion", 9, data=final)),
            b"data: [DONE]\n\n",
        ]
    )


def many_lines_partial(lines: int) -> bytes:
    """A partial response whose JSON is spread over `lines`-odd short data lines."""
    data = {"message": "ok", "clean_message": "ok", "padding": [1] * lines}
    payload = json.dumps(_envelope("partial_response", 4, data=data), indent=1)
    data_lines = b"".join(b"data: " + line.encode() + b"\n" for line in payload.splitlines())
    return b"event: partial_response\n" + data_lines + b"\n"


@contextmanager
def _client(server: RecordingServer, **options: Any) -> Iterator[MeibelClient]:
    # One connection: the call after an oversized event succeeds only if it was given back.
    with httpx2.Client(limits=httpx2.Limits(max_connections=1)) as http:
        yield MeibelClient(
            api_key=KEY,
            base_url=server.url + "/v2",
            http_client=http,
            timeout=httpx2.Timeout(10.0, pool=2.0),
            **options,
        )


@asynccontextmanager
async def _async_client(
    server: RecordingServer, **options: Any
) -> AsyncIterator[AsyncMeibelClient]:
    async with httpx2.AsyncClient(limits=httpx2.Limits(max_connections=1)) as http:
        yield AsyncMeibelClient(
            api_key=KEY,
            base_url=server.url + "/v2",
            http_client=http,
            timeout=httpx2.Timeout(10.0, pool=2.0),
            **options,
        )


def test_the_default_is_16_mib() -> None:
    from meibel import _sse

    assert DEFAULT_MAX_EVENT_SIZE == _sse.DEFAULT_MAX_EVENT_SIZE == 16 * MiB
    assert MeibelClient(api_key=KEY).max_event_size == 16 * MiB


def test_a_4_mib_event_arrives_whole_under_the_default_limit(
    recording_server: RecordingServer,
) -> None:
    text = "y" * (4 * MiB)
    data = {"message": text, "clean_message": text}
    partial = _event("partial_response", _envelope("partial_response", 4, data=data))
    recording_server.stream(pieces(chat_with(partial, text), CHUNK))
    with MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        stream = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        deltas = [event.delta for event in stream if event.type == "content"]
    assert deltas == [text]
    assert stream.response.is_closed


def test_a_line_that_never_ends_raises_and_gives_the_connection_back(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(endless_line(3 * MiB))
    recording_server.stream(chat_events())
    with _client(recording_server, max_event_size=MiB) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        with pytest.raises(EventTooLargeError) as caught:
            for _ in stream:
                pass
        assert isinstance(caught.value, StreamError)
        assert caught.value.max_event_size == MiB
        assert str(caught.value).startswith(
            "an event of the stream exceeded max_event_size=1 MiB (1048576 bytes) before it ended"
        )
        assert "max_event_size=" in str(caught.value).partition("ended")[2]
        assert stream.response.is_closed
        started = time.monotonic()
        reply = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert reply.final_response().message == FINAL
        assert time.monotonic() - started < 1.0, "the pool waited for the oversized stream"


@pytest.mark.anyio
async def test_async_a_line_that_never_ends_raises_and_gives_the_connection_back(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(endless_line(3 * MiB))
    recording_server.stream(chat_events())
    async with _async_client(recording_server, max_event_size=MiB) as client:
        stream = await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        with pytest.raises(EventTooLargeError, match=r"max_event_size=1 MiB \(1048576 bytes\)"):
            async for _ in stream:
                pass
        assert stream.response.is_closed
        started = time.monotonic()
        reply = await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert (await reply.final_response()).message == FINAL
        assert time.monotonic() - started < 1.0


def test_many_short_data_lines_add_up(recording_server: RecordingServer) -> None:
    """One event's JSON over ~20,000 data lines of 4 characters (~100 KB): over a 64 KiB limit;
    over ~5,000 such lines (~25 KB), within it. Sent in 4 KiB chunks, so each spans many."""
    recording_server.stream(pieces(chat_with(many_lines_partial(20_000)), 4096))
    recording_server.stream(pieces(chat_with(many_lines_partial(5_000), "ok"), 4096))
    with _client(recording_server, max_event_size=64 * 1024) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        with pytest.raises(EventTooLargeError, match=r"max_event_size=64 KiB \(65536 bytes\)"):
            stream.final_response()
        assert stream.response.is_closed
        stream = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert [e.delta for e in stream if e.type == "content"] == ["ok"]


@pytest.mark.anyio
async def test_async_many_short_data_lines_add_up(recording_server: RecordingServer) -> None:
    recording_server.stream(pieces(chat_with(many_lines_partial(20_000)), 4096))
    recording_server.stream(pieces(chat_with(many_lines_partial(5_000), "ok"), 4096))
    async with _async_client(recording_server, max_event_size=64 * 1024) as client:
        stream = await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        with pytest.raises(EventTooLargeError):
            await stream.final_response()
        assert stream.response.is_closed
        stream = await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert (await stream.final_response()).message == "ok"


def test_every_event_stream_is_bounded_and_with_options_sets_the_limit(
    recording_server: RecordingServer,
) -> None:
    """Upload progress goes through the same EventStream as chat; the limit is per client."""
    recording_server.stream(endless_line(MiB))
    recording_server.stream([b'data: {"status": "done"}\n\n'])
    with _client(recording_server) as client:
        small = client.with_options(max_event_size=100 * 1024)
        assert client.max_event_size == DEFAULT_MAX_EVENT_SIZE
        stream = small.file_upload.stream_upload_progress("u1")
        with pytest.raises(EventTooLargeError, match=r"max_event_size=100 KiB \(102400 bytes\)"):
            list(stream)
        assert stream.response.is_closed
        [event] = client.file_upload.stream_upload_progress("u1")
        assert event.data == {"status": "done"}


def test_a_limit_in_bytes_that_is_no_round_number_is_shown_as_given(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(endless_line(4096, chunk=512))
    with _client(recording_server, max_event_size=1000) as client:
        stream = client.file_upload.stream_upload_progress("u1")
        with pytest.raises(EventTooLargeError, match=r"max_event_size=1000 bytes before"):
            list(stream)


# -- 256 MiB without a line end: the client's peak memory, measured in its own process ---------

RSS_CLIENT = """
import asyncio, json, sys, time
from meibel import AsyncMeibelClient, EventTooLargeError, MeibelClient
from meibel.models import ChatMessageRequest

url, mode = sys.argv[1], sys.argv[2]
body = ChatMessageRequest(user_message="hi")


def rss_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])


def reset_peak():
    try:  # Linux: "5" resets VmHWM to the current RSS
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def sync_run():
    with MeibelClient(api_key="k", base_url=url) as client:
        client.sessions.send_chat_message_stream(session_id="warm", body=body).final_response()
        reset_peak()
        baseline = rss_kib("VmRSS:")
        started = time.monotonic()
        try:
            client.sessions.send_chat_message_stream(session_id="s", body=body).final_response()
            outcome = "no error"
        except EventTooLargeError as error:
            outcome = str(error)
        return outcome, rss_kib("VmHWM:") - baseline, time.monotonic() - started


async def async_run():
    async with AsyncMeibelClient(api_key="k", base_url=url) as client:
        stream = await client.sessions.send_chat_message_stream(session_id="warm", body=body)
        await stream.final_response()
        reset_peak()
        baseline = rss_kib("VmRSS:")
        started = time.monotonic()
        try:
            stream = await client.sessions.send_chat_message_stream(session_id="s", body=body)
            await stream.final_response()
            outcome = "no error"
        except EventTooLargeError as error:
            outcome = str(error)
        return outcome, rss_kib("VmHWM:") - baseline, time.monotonic() - started


outcome, growth, seconds = sync_run() if mode == "sync" else asyncio.run(async_run())
print(json.dumps({"outcome": outcome, "growth_kib": growth, "seconds": seconds}))
"""


def endless_short_lines(total: int) -> list[bytes | float]:
    """`total` bytes of `data:ab` lines in one event that never ends: ~60 bytes of memory per
    line if each were kept as its own string."""
    piece = b"data:ab\n" * (CHUNK // 8)
    return [piece] * (total // CHUNK)


@pytest.mark.parametrize("shape", [endless_line, endless_short_lines])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_256_mib_without_an_end_raises_with_bounded_memory(
    recording_server: RecordingServer, mode: str, shape: Callable[[int], list[bytes | float]]
) -> None:
    recording_server.stream(chat_events())  # the warm-up: imports and the first connection
    recording_server.stream(shape(256 * MiB))
    result = subprocess.run(
        [sys.executable, "-c", RSS_CLIENT, recording_server.url + "/v2", mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    measured = json.loads(result.stdout)
    assert measured["outcome"].startswith(
        "an event of the stream exceeded max_event_size=16 MiB (16777216 bytes)"
    )
    assert measured["growth_kib"] < 64 * 1024, f"peak RSS grew {measured['growth_kib']} KiB"
