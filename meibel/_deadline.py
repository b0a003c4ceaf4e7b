"""A total time limit for one call: connect, send, every retry and reading the whole answer.

httpx2's timeouts bound each step (a connect, the gap between two reads), so a server that sends
one byte a second holds a call forever. A Deadline caps the per-step timeouts at the time left,
and DeadlineStream checks the clock after every chunk of the body, so the call ends on time.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator

import httpx2

__all__ = ["Deadline", "DeadlineStream"]


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


class DeadlineStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A response body that raises ReadTimeout once the deadline has passed between chunks."""

    def __init__(
        self,
        stream: httpx2.SyncByteStream | httpx2.AsyncByteStream,
        deadline: Deadline,
        request: httpx2.Request,
    ) -> None:
        self._stream = stream
        self._deadline = deadline
        self._request = request

    def _check(self) -> None:
        if self._deadline.expired():
            raise httpx2.ReadTimeout(
                "the deadline passed while the body arrived", request=self._request
            )

    def __iter__(self) -> Iterator[bytes]:
        stream: Iterable[bytes] = self._stream  # type: ignore[assignment]
        end = self._deadline.end
        for chunk in stream:
            if time.monotonic() >= end:
                self._check()
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx2.AsyncByteStream)
        async for chunk in self._stream:
            self._check()
            yield chunk

    def close(self) -> None:
        assert isinstance(self._stream, httpx2.SyncByteStream)
        self._stream.close()

    async def aclose(self) -> None:
        assert isinstance(self._stream, httpx2.AsyncByteStream)
        await self._stream.aclose()
