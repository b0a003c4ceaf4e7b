"""A total time limit for one call: connect, send, every retry and reading the whole answer.

httpx2's timeouts bound each step (a connect, the gap between two reads), so a server that sends
one byte a second holds a call forever. A Deadline caps the per-step timeouts at the time left
when each attempt starts; DeadlineStream, around the body, ends the reading by the deadline
whatever the server sends (bytes that never end a line, keep-alive comments, nothing at all).

Capping is not enough once a body has begun: httpcore2 reads the `read` timeout once, when an
HTTP/1.1 body starts, so a body that began with 60 s left may wait 60 s for its next byte
however much time has passed since. DeadlineStream therefore checks the clock before each read
and, once a read could outlast the deadline:

- sync over HTTP/1.1, registers the connection's socket with one watchdog thread per process,
  which shuts the socket down (`shutdown` wakes a blocked `recv`) if the deadline passes first;
  the connection is then discarded, never reused;
- sync over HTTP/2, where one socket carries every stream of the connection, lowers the
  request's `read` timeout to the time left instead (httpcore2 reads it before each HTTP/2
  read): shutting the socket down would end the other streams too;
- async, reads under an anyio cancel scope that ends at the deadline.

Without a deadline none of this runs: the response keeps its own stream.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import suppress

import httpx2

__all__ = ["Deadline", "DeadlineExceeded", "DeadlineStream"]

# A timeout that fires this close to the deadline is the deadline's, however it was measured.
_SLACK = 0.01
_LONGEST_WAIT = 3600.0


class Deadline:
    """`seconds` from now; `cap()` fits a request's timeouts into what is left of it."""

    __slots__ = ("end", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def cap(self, request: httpx2.Request, timeouts: dict[str, float | None]) -> None:
        """Set `request`'s timeouts to `timeouts`, none longer than the time left."""
        left = max(self.remaining(), 0.001)
        values = timeouts.values()
        if None not in values and max(values) <= left:  # type: ignore[type-var,operator]
            request.extensions["timeout"] = timeouts  # the usual case: the deadline is far
            return
        request.extensions["timeout"] = {
            name: left if value is None else min(value, left) for name, value in timeouts.items()
        }


class DeadlineExceeded(httpx2.ReadTimeout):
    """The deadline passed while the answer's body was read (a ReadTimeout: a timeout)."""

    def __init__(self, deadline: Deadline, request: httpx2.Request) -> None:
        super().__init__(
            f"the deadline of {deadline.seconds:g} s passed while the answer arrived",
            request=request,
        )
        self.seconds = deadline.seconds


class _Watch:
    """One socket the watchdog shuts down at `end`, unless the read is over by then."""

    __slots__ = ("fired", "socket")

    def __init__(self, sock: socket.socket) -> None:
        self.socket: socket.socket | None = sock  # None: cancelled
        self.fired = False


class _Watchdog:
    """One daemon thread per process that shuts down the sockets of reads past their deadline.

    Firing and cancelling take the same lock, so a socket is shut down only while its response
    is still being read: DeadlineStream cancels before the connection can go back to the pool.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # Also the child's state after a fork: no thread runs there, and the parent's lock may
        # have been held by one of the parent's threads at the time.
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._cancelled = 0
        self._thread: threading.Thread | None = None

    def watch(self, end: float, sock: socket.socket) -> _Watch:
        watch = _Watch(sock)
        with self._wake:
            heapq.heappush(self._heap, (end, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="meibel-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._wake.notify()  # the soonest deadline changed
        return watch

    def cancel(self, watch: _Watch) -> None:
        with self._lock:
            if watch.socket is None:
                return
            watch.socket = None
            self._cancelled += 1
            if self._cancelled > 64 and 2 * self._cancelled > len(self._heap):
                # Streams that ended long before their deadline: do not keep them until then.
                self._heap = [entry for entry in self._heap if entry[2].socket is not None]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _run(self) -> None:
        with self._wake:
            while True:
                heap = self._heap
                now = time.monotonic()
                while heap and heap[0][0] <= now:
                    watch = heapq.heappop(heap)[2]
                    sock = watch.socket
                    if sock is None:
                        self._cancelled -= 1
                        continue
                    watch.socket = None
                    watch.fired = True
                    # socket.socket's own shutdown: an SSLSocket's drops its TLS state under
                    # the reading thread's feet. OSError: closed already, nothing reads it.
                    with suppress(OSError):
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
                # Capped: Condition.wait refuses a timeout past threading.TIMEOUT_MAX.
                self._wake.wait(min(heap[0][0] - now, _LONGEST_WAIT) if heap else None)


_watchdog = _Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_watchdog._reset)


class DeadlineStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """`response`'s body, read by the deadline: past it, DeadlineExceeded (a ReadTimeout)."""

    def __init__(self, response: httpx2.Response, deadline: Deadline) -> None:
        self._stream = response.stream
        self._deadline = deadline
        self._request = response.request
        self._extensions = response.extensions
        self._watch: _Watch | None = None

    def _read_timeout(self) -> float | None:
        """The longest a read may wait as httpcore2 will do it (HTTP/1.1: fixed at the start)."""
        value: float | None = self._request.extensions.get("timeout", {}).get("read")
        return value

    def _exceeded(self) -> DeadlineExceeded:
        return DeadlineExceeded(self._deadline, self._request)

    def _guard(self, now: float) -> bool:
        """Before a sync read that could outlast the deadline: make sure it cannot.

        True when later reads need nothing more (the watchdog holds the socket, or cannot).
        """
        end = self._deadline.end
        if not math.isfinite(end):
            return True  # an infinite deadline: no read outlasts it
        if self._extensions.get("http_version") == b"HTTP/2":
            timeouts = self._request.extensions.get("timeout", {})
            self._request.extensions["timeout"] = {**timeouts, "read": end - now}
            return False
        stream = self._extensions.get("network_stream")
        sock = None if stream is None else stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            self._watch = _watchdog.watch(end, sock)
        # Without a socket (a transport of the caller's), the check between chunks is all.
        return True

    def _disarm(self) -> None:
        watch = self._watch
        if watch is not None:
            _watchdog.cancel(watch)

    def _past(self) -> bool:
        """Whether the deadline is why a read failed."""
        watch = self._watch
        return (watch is not None and watch.fired) or self._deadline.remaining() < _SLACK

    def __iter__(self) -> Iterator[bytes]:
        stream: Iterable[bytes] = self._stream  # type: ignore[assignment]
        chunks = iter(stream)
        end = self._deadline.end
        read = self._read_timeout()
        guarded = False
        try:
            while True:
                now = time.monotonic()
                if now >= end:
                    raise self._exceeded()
                if not guarded and (read is None or now + read > end):
                    guarded = self._guard(now)
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except httpx2.TransportError as error:
                    if self._past():
                        raise self._exceeded() from error
                    raise
                yield chunk
            watch = self._watch
            if watch is not None and watch.fired:
                raise self._exceeded()  # shut down at the deadline, read as the body's end
        finally:
            self._disarm()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx2.AsyncByteStream)
        chunks = self._stream.__aiter__()
        end = self._deadline.end
        read = self._read_timeout()
        endless = not math.isfinite(end)  # no read outlasts an infinite deadline
        while True:
            now = time.monotonic()
            if now >= end:
                raise self._exceeded()
            cut = False
            try:
                if endless or (read is not None and now + read <= end):
                    chunk = await chunks.__anext__()
                else:
                    import anyio  # here: only async reads near their deadline need it

                    with anyio.CancelScope(deadline=anyio.current_time() + end - now) as scope:
                        chunk = await chunks.__anext__()
                    cut = scope.cancelled_caught
            except StopAsyncIteration:
                return
            except httpx2.TransportError as error:
                if self._past():
                    raise self._exceeded() from error
                raise
            if cut:
                raise self._exceeded()
            yield chunk

    def close(self) -> None:
        assert isinstance(self._stream, httpx2.SyncByteStream)
        self._disarm()  # first: the connection may go back to the pool once closed
        self._stream.close()

    async def aclose(self) -> None:
        assert isinstance(self._stream, httpx2.AsyncByteStream)
        await self._stream.aclose()
