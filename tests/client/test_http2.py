"""HTTP/2 (the `[http2]` extra): streamed multipart uploads and SSE chat replies over real HTTP/2
(tests/http2_server.py: hypercorn on 127.0.0.1 over TLS).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from answers import SESSION_DETAILS
from http2_server import (
    CONNECTED,
    PIECES,
    Http2Server,
    Receive,
    Scope,
    Send,
    _partial,
    _send_events,
    _send_json,
)

from meibel import AsyncMeibelClient, MeibelClient, MeibelError
from meibel._chat import AsyncChatStream
from meibel.models import ChatMessageRequest

KEY = "sk-http2-test"
# More than a flow-control window (64 KiB), a body chunk (256 KiB) and a read (64 KiB), and
# not a multiple of any of them.
SIZE = 5 * 1024 * 1024 + 12345


class Unsized:
    """A binary file object that cannot seek (a pipe, a socket): sent without Content-Length."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.name = "piped.bin"

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def seekable(self) -> bool:
        return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Http2Server]:
    with Http2Server(tmp_path) as running:
        yield running


@pytest.fixture
def attachment(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "report.bin"
    data = os.urandom(SIZE)
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def _check_uploads(server: Http2Server, attachment_digest: str, piped_digest: str) -> None:
    chat, upload = server.requests
    assert [chat.http_version, upload.http_version] == ["2", "2"]
    assert chat.client_port == upload.client_port, "both requests shared one HTTP/2 connection"
    # A sized body announces its length; an unsized one is framed by HTTP/2 alone (the
    # Transfer-Encoding the client set for HTTP/1.1 is not sent: HTTP/2 forbids it).
    assert int(chat.headers["content-length"]) == chat.body_length > SIZE
    assert "content-length" not in upload.headers
    assert "transfer-encoding" not in upload.headers
    assert chat.files == {"report.bin": attachment_digest}
    assert chat.fields == {"user_message": "hi"}
    assert upload.files == {"piped.bin": piped_digest}


def test_sync_uploads_and_chat_stream_over_http2(
    server: Http2Server, attachment: tuple[Path, str]
) -> None:
    path, digest = attachment
    piped = os.urandom(SIZE)
    http = httpx2.Client(http2=True, verify=server.client_ssl_context())
    with (
        http,
        MeibelClient(
            api_key=KEY, base_url=server.url, http_client=http, stream_idle_timeout=20
        ) as client,
    ):
        stream = client.sessions.send_chat_message_stream(
            session_id="s_h2", body=ChatMessageRequest(user_message="hi"), files=[path]
        )
        assert stream.response.http_version == "HTTP/2"
        deltas = []
        with stream:
            for event in stream:
                if event.type == "content":
                    deltas.append(event.delta)
                    server.first_seen.set()
        assert server.released is True, "the client saw the first delta before the last was sent"
        assert deltas == [f"report.bin sha256={digest}.", *PIECES]
        assert stream.result is not None
        assert stream.result.message == "".join(deltas)

        upload = client.file_upload.upload_content("d", files=[Unsized(piped)])
        assert upload.message == f"piped.bin sha256={hashlib.sha256(piped).hexdigest()}."
    _check_uploads(server, digest, hashlib.sha256(piped).hexdigest())


@pytest.mark.anyio
async def test_async_uploads_and_chat_stream_over_http2(
    server: Http2Server, attachment: tuple[Path, str]
) -> None:
    path, digest = attachment
    piped = os.urandom(SIZE)
    http = httpx2.AsyncClient(http2=True, verify=server.client_ssl_context())
    async with (
        http,
        AsyncMeibelClient(
            api_key=KEY, base_url=server.url, http_client=http, stream_idle_timeout=20
        ) as client,
    ):
        stream = await client.sessions.send_chat_message_stream(
            session_id="s_h2", body=ChatMessageRequest(user_message="hi"), files=[path]
        )
        assert stream.response.http_version == "HTTP/2"
        deltas = []
        async with stream:
            async for event in stream:
                if event.type == "content":
                    deltas.append(event.delta)
                    server.first_seen.set()
        assert server.released is True, "the client saw the first delta before the last was sent"
        assert deltas == [f"report.bin sha256={digest}.", *PIECES]
        assert stream.result is not None
        assert stream.result.message == "".join(deltas)

        upload = await client.file_upload.upload_content("d", files=[Unsized(piped)])
        assert upload.message == f"piped.bin sha256={hashlib.sha256(piped).hexdigest()}."
    _check_uploads(server, digest, hashlib.sha256(piped).hexdigest())


# -- what HTTP/2 changes: the idle timeout is the connection's ------------------------------------

IDLE = 0.5


async def _disconnected(receive: Receive, timeout: float) -> bool:
    """Whether the client went away (closed the stream or the connection) within `timeout`."""
    try:
        return (await asyncio.wait_for(receive(), timeout))["type"] == "http.disconnect"
    except TimeoutError:
        return False


class IdleServer(Http2Server):
    """Chat streams that fall silent ("quiet") or tick every 0.1 s ("busy"), a slow GET."""

    async def handle(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            if not await _disconnected(receive, 3 * IDLE):
                await _send_json(send, SESSION_DETAILS)
        elif "/quiet/" in scope["path"]:
            await _send_events(send, [CONNECTED], end=False)
            await _disconnected(receive, 10.0)  # silent until the client gives up
        else:
            ticks: list[bytes | float] = []
            for sequence in range(1, 16):
                ticks += [0.1, _partial(sequence, f" {sequence}")]
            await _send_events(send, [CONNECTED, *ticks])


@pytest.fixture
def idle_server(tmp_path: Path) -> Iterator[IdleServer]:
    with IdleServer(tmp_path) as running:
        yield running


async def _outcome(call: Awaitable[Any], started: float) -> tuple[str, float]:
    """What a call ended with, and when (seconds after `started`)."""
    try:
        result = await call
        if isinstance(result, AsyncChatStream):
            await result.final_response()
    except MeibelError as error:
        return type(error).__name__, time.monotonic() - started
    return "ok", time.monotonic() - started


async def _beside_a_quiet_stream(
    server: Http2Server, http2: bool, other: Callable[[AsyncMeibelClient], Awaitable[Any]]
) -> dict[str, tuple[str, float]]:
    """A chat stream that falls silent and, 0.1 s later on the same client, `other`."""
    http = httpx2.AsyncClient(http2=http2, verify=server.client_ssl_context())
    client = AsyncMeibelClient(
        api_key=KEY, base_url=server.url, http_client=http, stream_idle_timeout=IDLE, max_retries=0
    )
    started = time.monotonic()
    outcomes: dict[str, tuple[str, float]] = {}

    async def run(name: str, call: Callable[[], Awaitable[Any]], delay: float) -> None:
        await anyio.sleep(delay)
        outcomes[name] = await _outcome(call(), started)

    async with http, client, anyio.create_task_group() as group:
        quiet = client.sessions.send_chat_message_stream
        group.start_soon(run, "quiet", lambda: quiet(session_id="quiet"), 0)
        group.start_soon(run, "other", lambda: other(client), 0.1)
    return outcomes


@pytest.mark.anyio
@pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "http2"])
async def test_a_stalled_stream_times_out_a_concurrent_request_on_its_http2_connection(
    idle_server: IdleServer, http2: bool
) -> None:
    """httpcore2 reads an HTTP/2 connection for all its streams, with the reader's timeout, and
    a read timeout fails every stream of the connection: the stream's idle timeout ends a GET
    whose own read timeout (120 s) is far off. Over HTTP/1.1 the GET has its own connection."""
    outcomes = await _beside_a_quiet_stream(
        idle_server, http2, lambda client: client.sessions.get_session(session_id="s_1")
    )
    versions, ports = zip(*idle_server.seen, strict=True)
    assert set(versions) == ({"2"} if http2 else {"1.1"})
    assert len(set(ports)) == (1 if http2 else 2)
    stalled, stalled_at = outcomes["quiet"]
    assert stalled == "StreamStalledError"
    other, other_at = outcomes["other"]
    if http2:
        assert other == "APITimeoutError"
        assert other_at < 3 * IDLE, "failed before the server's answer was due"
    else:
        assert other == "ok"
        assert other_at >= 3 * IDLE > stalled_at


@pytest.mark.anyio
@pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "http2"])
async def test_a_stalled_stream_beside_a_busy_one_is_noticed_when_the_connection_falls_silent(
    idle_server: IdleServer, http2: bool
) -> None:
    """Any frame on the HTTP/2 connection, for any stream, resets the shared read timeout."""
    outcomes = await _beside_a_quiet_stream(
        idle_server, http2, lambda client: client.sessions.send_chat_message_stream(session_id="b")
    )
    busy, busy_at = outcomes["other"]
    assert busy == "ok"
    stalled, stalled_at = outcomes["quiet"]
    assert stalled == "StreamStalledError"
    if http2:
        assert stalled_at >= busy_at + 0.9 * IDLE, "noticed only once the connection fell silent"
    else:
        assert stalled_at < busy_at, "noticed after the idle time, while the busy stream ran"
