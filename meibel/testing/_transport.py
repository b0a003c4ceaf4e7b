"""In-process transports: httpx2.MockTransport handlers over any Handler, and client factories."""

from __future__ import annotations

import errno
import os
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import httpx2

from ._answer import SSE_HEADERS, Answer, Handler, content_headers

if TYPE_CHECKING:
    from .._async_client import AsyncMeibelClient
    from .._client import MeibelClient

__all__ = ["FAKE_API_KEY", "FAKE_BASE_URL", "Transports", "async_handler", "sync_handler"]

FAKE_BASE_URL = "http://fake.meibel.test/v2"
"""The base URL of the clients `FakeMeibel.client()` and `async_client()` make (in process)."""
FAKE_API_KEY = "fake-key"
"""The API key of the clients the fake makes (the fake takes any key, but needs one)."""


class _SyncEvents(httpx2.SyncByteStream):
    def __init__(self, chunks: list[bytes | float], drop: bool) -> None:
        self._chunks = chunks
        self._drop = drop

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if isinstance(chunk, float):
                time.sleep(chunk)
            else:
                yield chunk
        if self._drop:
            raise httpx2.RemoteProtocolError("peer closed connection (FakeMeibel drop_after)")


class _AsyncEvents(httpx2.AsyncByteStream):
    def __init__(self, chunks: list[bytes | float], drop: bool) -> None:
        self._chunks = chunks
        self._drop = drop

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            if isinstance(chunk, float):
                await anyio.sleep(chunk)
            else:
                yield chunk
        if self._drop:
            raise httpx2.RemoteProtocolError("peer closed connection (FakeMeibel drop_after)")


# A request's timeouts in the order a new connection uses them (the pool's waits for none).
_PHASES: tuple[tuple[str, type[httpx2.TimeoutException]], ...] = (
    ("connect", httpx2.ConnectTimeout),
    ("write", httpx2.WriteTimeout),
    ("read", httpx2.ReadTimeout),
)


def _os_error(code: int) -> str:
    return str(OSError(code, os.strerror(code)))


def check_timeouts_sync(request: httpx2.Request) -> None:
    """Fail as httpx2's sync transport does on a new connection, for timeouts its socket takes
    badly: `socket.settimeout` raises for NaN, negative and huge values, and 0 makes the socket
    non-blocking, so the connect (EINPROGRESS) and the first read (EAGAIN) fail at once."""
    timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
    for phase, _ in _PHASES:
        value = timeouts.get(phase)
        if value is None or 0 < value < 1e9:
            continue  # what every real call gives
        with socket.socket() as probe:
            probe.settimeout(value)  # ValueError, OverflowError: as over the wire, unwrapped
        if value == 0 and phase == "connect":
            raise httpx2.ConnectError(_os_error(errno.EINPROGRESS), request=request)
        if value == 0 and phase == "read":
            raise httpx2.ReadError(_os_error(errno.EAGAIN), request=request)


async def check_timeouts_async(request: httpx2.Request) -> None:
    """Fail as httpx2's async transport does on a new connection: each step runs under
    `anyio.fail_after(timeout)`, so NaN raises ValueError and 0 or less times out at once."""
    timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
    for phase, timeout_error in _PHASES:
        value = timeouts.get(phase)
        if value is None or value > 0:
            continue
        try:
            with anyio.fail_after(value):
                await anyio.lowlevel.checkpoint()
        except TimeoutError:
            raise timeout_error("", request=request) from None


def _answer(handler: Handler, request: httpx2.Request, body: bytes) -> Answer:
    return handler.handle(
        request.method,
        request.url.raw_path.decode("ascii"),
        dict(request.headers),
        body,
        raise_schema_errors=True,
    )


def sync_handler(handler: Handler) -> Callable[[httpx2.Request], httpx2.Response]:
    """A MockTransport handler answering with `handler`."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        check_timeouts_sync(request)
        # Read the stream itself: the SDK swaps in its multipart stream after building the
        # request, so `request.content` would be the empty body httpx2 cached at build time.
        stream = request.stream
        body = b"".join(stream) if isinstance(stream, httpx2.SyncByteStream) else request.content
        reply = _answer(handler, request, body)
        if reply.events is not None:
            events = _SyncEvents(reply.events, reply.drop)
            return httpx2.Response(reply.status, headers=SSE_HEADERS, stream=events)
        return _whole(reply)

    return answer


def async_handler(
    handler: Handler,
) -> Callable[[httpx2.Request], Coroutine[None, None, httpx2.Response]]:
    """An async MockTransport handler answering with `handler`."""

    async def answer(request: httpx2.Request) -> httpx2.Response:
        await check_timeouts_async(request)
        stream = request.stream
        if isinstance(stream, httpx2.AsyncByteStream):
            body = b"".join([chunk async for chunk in stream])
        else:
            body = request.content
        reply = _answer(handler, request, body)
        if reply.events is not None:
            events = _AsyncEvents(reply.events, reply.drop)
            return httpx2.Response(reply.status, headers=SSE_HEADERS, stream=events)
        return _whole(reply)

    return answer


def _whole(reply: Answer) -> httpx2.Response:
    """A whole answer, its body still to be read as from a socket (so a deadline applies)."""
    body = reply.json_bytes()
    headers = {**content_headers(reply), "Content-Length": str(len(body))}
    return httpx2.Response(reply.status, headers=headers, stream=httpx2.ByteStream(body))


class Transports:
    """The client factories of a Handler (FakeMeibel): everything answered in process."""

    if TYPE_CHECKING:

        def handle(
            self,
            method: str,
            target: str,
            headers: Mapping[str, str],
            body: bytes,
            *,
            raise_schema_errors: bool,
        ) -> Answer: ...

    def http_client(self) -> httpx2.Client:
        """An httpx2.Client whose requests this fake answers in process."""
        return httpx2.Client(transport=httpx2.MockTransport(sync_handler(self)))

    def async_http_client(self) -> httpx2.AsyncClient:
        """An httpx2.AsyncClient whose requests this fake answers in process."""
        return httpx2.AsyncClient(transport=httpx2.MockTransport(async_handler(self)))

    def client(self, **options: Any) -> MeibelClient:
        """A MeibelClient talking to this fake in process (`options` go to MeibelClient).

        It reads nothing from the environment: key, base URL and (no) default datasource are
        the fake's unless given.
        """
        from .._client import MeibelClient

        return MeibelClient(http_client=self.http_client(), **_own(options))

    def async_client(self, **options: Any) -> AsyncMeibelClient:
        """An AsyncMeibelClient talking to this fake in process (see `client()`)."""
        from .._async_client import AsyncMeibelClient

        return AsyncMeibelClient(http_client=self.async_http_client(), **_own(options))


def _own(options: dict[str, Any]) -> dict[str, Any]:
    """A fake client's settings: the fake's where the environment would fill them."""
    # datasource_id="" is "none" to the client, where None would read MEIBEL_DATASOURCE_ID.
    defaults = {"api_key": FAKE_API_KEY, "base_url": FAKE_BASE_URL, "datasource_id": ""}
    return {**defaults, **options}
