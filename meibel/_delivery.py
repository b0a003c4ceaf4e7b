"""What reached the server, and cutting a folder upload's connections short when it is interrupted.

Every attempt's body is a `SentBody` (meibel/_attempts.py wraps it): `sent` turns True once the
transport has taken the body's last byte (httpcore2 writes the headers first), so an error can
say whether the server may have received the whole request (`request_sent`). It costs one
wrapper and one generator per attempt.

A folder upload watches the requests of each file through a ContextVar (they go through the
generated upload_content): a `Watch` knows the file's latest body, hence whether its request
was sent in full, and whether the upload was stopped; then no chunk is sent and no attempt is
started. The sync client's watches also hand each request httpcore2's `trace` extension, which
passes the network stream of every connection made ("connect_tcp.complete",
"start_tls.complete"): on Ctrl-C a `Cutter` shuts those sockets down, because a thread blocked
in send() or recv() is woken by shutdown(), never by close() from another thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpx2

__all__ = ["Cutter", "SentBody", "Stopped", "Watch", "watching"]

# The connection events whose return value is a network stream with a socket.
_CONNECTED = ("connect_tcp.complete", "connect_unix_socket.complete", "start_tls.complete")


class Stopped(Exception):
    """A folder upload was interrupted: this file's request goes no further."""


class Cutter:
    """The sockets a sync folder upload's requests connected; `cut()` shuts them all down.

    A socket connected after `cut()` is shut down as soon as it is known.
    """

    __slots__ = ("_lock", "_sockets", "stopped")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.stopped = threading.Event()

    def trace(self, name: str, info: dict[str, Any]) -> None:
        """httpcore2's `trace` extension: note the socket of each connection made."""
        if not name.endswith(_CONNECTED):
            return
        stream = info.get("return_value")
        sock = getattr(stream, "get_extra_info", lambda _: None)("socket")
        if isinstance(sock, socket.socket):
            with self._lock:
                if self.stopped.is_set():
                    _shut(sock)
                else:
                    self._sockets.append(sock)

    def cut(self) -> None:
        with self._lock:
            self.stopped.set()
            for sock in self._sockets:
                _shut(sock)
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, not SSLSocket's, which also drops its SSL object under a
    # thread that may be reading through it; the file descriptor is the same.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Watch:
    """One file of a folder upload: its latest request body, and the upload's stop signal."""

    __slots__ = ("body", "cutter")

    def __init__(self, cutter: Cutter | None = None) -> None:
        self.body: SentBody | None = None
        self.cutter = cutter

    @property
    def sent(self) -> bool:
        """Whether the latest attempt's request was sent in full."""
        return self.body is not None and self.body.sent

    def attach(self, request: httpx2.Request, body: SentBody) -> None:
        self.body = body
        if self.cutter is not None:
            request.extensions["trace"] = self.cutter.trace

    def check(self) -> None:
        if self.cutter is not None and self.cutter.stopped.is_set():
            raise Stopped("the folder upload was interrupted")

    def pause(self, seconds: float) -> float:
        """Before a retry: wait here until the stop signal (sync), or leave it to the caller."""
        if self.cutter is None:
            return seconds
        if self.cutter.stopped.wait(seconds):
            raise Stopped("the folder upload was interrupted")
        return 0.0


watching: ContextVar[Watch | None] = ContextVar("meibel_watching", default=None)


class SentBody(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A request body that notes when the transport has taken all of it (`sent`)."""

    __slots__ = ("inner", "sent", "watch")

    def __init__(
        self, inner: httpx2.SyncByteStream | httpx2.AsyncByteStream, watch: Watch | None
    ) -> None:
        self.inner = inner
        self.sent = False
        self.watch = watch

    @property
    def replayable(self) -> bool:
        return bool(getattr(self.inner, "replayable", True))

    def __iter__(self) -> Iterator[bytes]:
        self.sent = False
        watch = self.watch
        chunks: Iterable[bytes] = self.inner  # type: ignore[assignment]
        for chunk in chunks:
            if watch is not None:
                watch.check()
            yield chunk
        self.sent = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.sent = False
        chunks = self.inner.__aiter__()  # type: ignore[union-attr]
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
        self.sent = True

    def close(self) -> None:
        if isinstance(self.inner, httpx2.SyncByteStream):
            self.inner.close()

    async def aclose(self) -> None:
        if isinstance(self.inner, httpx2.AsyncByteStream):
            await self.inner.aclose()
