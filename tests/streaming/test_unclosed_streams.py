"""Streams nobody closes: collected, they release their connection and warn, as an unclosed file.

Against a real server on 127.0.0.1 (tests/wire.py). 100 chat streams, neither read nor closed,
hold every connection of the default pool; once collected, the 101st call goes through at once and
each left a ResourceWarning naming its request. Held on to, they exhaust the pool, and the call
that waits for a connection fails with an APITimeoutError that says why.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from chat_events import FINAL, KEY, chat_events
from wire import RecordingServer

from meibel import APITimeoutError, AsyncMeibelClient, MeibelClient
from meibel.models import ChatMessageRequest

BODY = ChatMessageRequest(user_message="hi")
STREAMS = 100  # httpx2's default pool: max_connections=100


@contextmanager
def resource_warnings() -> Iterator[list[str]]:
    """The ResourceWarnings raised inside (pytest turns warnings into errors: caught here)."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    messages.extend(str(w.message) for w in caught if issubclass(w.category, ResourceWarning))


def settle(check: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_hundred_collected_streams_give_their_connections_back(
    recording_server: RecordingServer,
) -> None:
    for _ in range(STREAMS):
        recording_server.stream(chat_events())
    recording_server.stream(chat_events())
    # The default pool; a pool timeout far shorter than the default 120 s, should it wait.
    with MeibelClient(
        api_key=KEY,
        base_url=recording_server.url + "/v2",
        timeout=httpx2.Timeout(30.0, pool=5.0),
    ) as client:
        streams = [
            client.sessions.send_chat_message_stream(session_id="s", body=BODY)
            for _ in range(STREAMS)
        ]
        responses = [stream.response for stream in streams]
        with resource_warnings() as messages:
            del streams
            gc.collect()
        started = time.monotonic()
        reply = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert reply.final_response().message == FINAL
        assert time.monotonic() - started < 1.0, "the 101st call waited for the pool"
        settle(lambda: all(response.is_closed for response in responses))
        assert all(response.is_closed for response in responses)
    url = f"{recording_server.url}/v2/sessions/s/chat/stream"
    assert messages == [f"unclosed meibel stream: POST {url}; use `with` or close()"] * STREAMS
    assert recording_server.connections == STREAMS + 1


@pytest.mark.anyio
async def test_a_hundred_collected_async_streams_give_their_connections_back(
    recording_server: RecordingServer,
) -> None:
    for _ in range(STREAMS + 1):
        recording_server.stream(chat_events())
    async with AsyncMeibelClient(
        api_key=KEY,
        base_url=recording_server.url + "/v2",
        timeout=httpx2.Timeout(30.0, pool=5.0),
    ) as client:
        streams = [
            await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
            for _ in range(STREAMS)
        ]
        responses = [stream.response for stream in streams]
        with resource_warnings() as messages:
            del streams
            gc.collect()
        started = time.monotonic()
        reply = await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert (await reply.final_response()).message == FINAL
        assert time.monotonic() - started < 1.0, "the 101st call waited for the pool"
        for _ in range(100):  # the closing tasks run on this loop
            if all(response.is_closed for response in responses):
                break
            await asyncio.sleep(0.01)
        assert all(response.is_closed for response in responses)
    url = f"{recording_server.url}/v2/sessions/s/chat/stream"
    advice = "use `async with` or aclose()"
    assert messages == [f"unclosed meibel stream: POST {url}; {advice}"] * STREAMS


def test_a_closed_or_finished_stream_warns_nothing(recording_server: RecordingServer) -> None:
    recording_server.stream(chat_events())
    recording_server.stream(chat_events())
    recording_server.stream(chat_events())
    with (
        MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client,
        resource_warnings() as messages,
    ):
        with client.sessions.send_chat_message_stream(session_id="s", body=BODY):
            pass
        client.sessions.send_chat_message_stream(session_id="s", body=BODY).final_response()
        for event in client.sessions.send_chat_message_stream(session_id="s", body=BODY):
            if event.type == "content":
                break
        gc.collect()
    assert messages == []


def test_any_event_stream_warns_naming_its_request(recording_server: RecordingServer) -> None:
    recording_server.stream([b'data: {"status": "done"}\n\n'])
    with MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        stream = client.file_upload.stream_upload_progress("u1")
        with resource_warnings() as messages:
            del stream
            gc.collect()
    [message] = messages
    assert message.startswith(f"unclosed meibel stream: GET {recording_server.url}/v2/")
    assert message.endswith("; use `with` or close()")


def test_an_async_stream_collected_after_its_loop_closed_only_warns(
    recording_server: RecordingServer,
) -> None:
    """Nothing can close it then (its loop went, and its sockets with it): no error, a warning."""
    recording_server.stream(chat_events())

    async def open_stream() -> Any:
        client = AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2")
        return await client.sessions.send_chat_message_stream(session_id="s", body=BODY)

    stream = asyncio.run(open_stream())
    with resource_warnings() as messages:
        del stream
        gc.collect()
    # The recorded warning held the stream (its source) until now; its socket, whose loop is
    # gone, is garbage only once that record is dropped, and warns too.
    with resource_warnings():
        gc.collect()
    assert any(message.startswith("unclosed meibel stream: POST ") for message in messages)


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError(f"no result after {seconds} s: deadlocked")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_stream_collected_inside_its_http2_connections_lock_is_closed_by_another_thread(
    tmp_path: Path,
) -> None:
    """The collector runs wherever this thread happens to be: perhaps inside httpcore2's lock on
    the HTTP/2 connection's state (held while it parses frames), which closing the stream takes
    too and which is not reentrant. Closing on the collecting thread would deadlock there."""
    from http2_server import Http2Server

    with (
        Http2Server(tmp_path) as server,
        httpx2.Client(http2=True, verify=server.client_ssl_context()) as http,
    ):
        client = MeibelClient(api_key=KEY, base_url=server.url, http_client=http)
        stream = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert stream.response.http_version == "HTTP/2"
        [connection] = http._transport._pool.connections  # type: ignore[attr-defined]
        state_lock = connection._connection._state_lock._lock  # httpcore2's own threading.Lock
        with hang_guard(10), resource_warnings() as messages, state_lock:
            del stream
            gc.collect()
        assert len(messages) == 1
        settle(connection.is_idle)
        assert connection.is_idle(), "the stream still holds its HTTP/2 connection"


# -- streams held on to: the pool runs out, and the error says why ---------------------------------


@contextmanager
def _small_pool(server: RecordingServer) -> Iterator[MeibelClient]:
    with httpx2.Client(limits=httpx2.Limits(max_connections=2)) as http:
        yield MeibelClient(
            api_key=KEY,
            base_url=server.url + "/v2",
            http_client=http,
            timeout=httpx2.Timeout(10.0, pool=0.5),
            max_retries=0,
        )


POOL_EXHAUSTED = (
    r"POST http://127\.0\.0\.1:\d+/v2/sessions/s/chat/stream: the connection pool is exhausted"
)


def test_streams_held_unclosed_exhaust_the_pool_and_the_error_says_so(
    recording_server: RecordingServer,
) -> None:
    for _ in range(3):
        recording_server.stream(chat_events())
    with _small_pool(recording_server) as client:
        held = [client.sessions.send_chat_message_stream(session_id="s", body=BODY) for _ in "ab"]
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=POOL_EXHAUSTED) as caught:
            client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert 0.5 <= time.monotonic() - started < 3.0
        assert "not closed" in str(caught.value)
        assert "use `with`" in str(caught.value)
        for stream in held:
            stream.close()
        assert client.sessions.send_chat_message_stream(session_id="s", body=BODY).final_response()


@pytest.mark.anyio
async def test_async_streams_held_unclosed_exhaust_the_pool_and_the_error_says_so(
    recording_server: RecordingServer,
) -> None:
    for _ in range(3):
        recording_server.stream(chat_events())
    async with (
        httpx2.AsyncClient(limits=httpx2.Limits(max_connections=2)) as http,
        AsyncMeibelClient(
            api_key=KEY,
            base_url=recording_server.url + "/v2",
            http_client=http,
            timeout=httpx2.Timeout(10.0, pool=0.5),
            max_retries=0,
        ) as client,
    ):
        held = [
            await client.sessions.send_chat_message_stream(session_id="s", body=BODY) for _ in "ab"
        ]
        with pytest.raises(APITimeoutError, match=POOL_EXHAUSTED):
            await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        for stream in held:
            await stream.aclose()
        stream = await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        assert (await stream.final_response()).message == FINAL
