"""An async client lets no more requests into its own pool than the pool has connections.

A request waiting for a connection inside httpx2's pool holds its whole send stack there (some
12 KiB of coroutines, context managers, cancel scopes and events); waiting here it holds a
semaphore's waiter, a tenth of that. With 1,000 concurrent chat streams on 100 connections that
is most of the client's memory (benchmarks/chat_streams.py). Seen from outside, a wait is what it
was: a slot frees when a response is closed, as its connection does, and a request that gets none
within its pool timeout fails with httpx2.PoolTimeout. A pool given as `http_client=` is the
caller's, its limits unknown here: nothing waits here for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import httpx2

if TYPE_CHECKING:
    import anyio

__all__ = ["Admission"]


class Admission:
    """`slots` requests at a time; `admit(request)` waits for one, `release()` gives it back."""

    __slots__ = ("_semaphore", "slots")

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._semaphore: anyio.Semaphore | None = None  # anyio is imported on first use

    async def admit(self, request: httpx2.Request) -> None:
        """Wait for a slot, at most `request`'s pool timeout (then httpx2.PoolTimeout)."""
        import anyio

        semaphore = self._semaphore
        if semaphore is None:
            semaphore = self._semaphore = anyio.Semaphore(self.slots)
        if semaphore.value:
            semaphore.acquire_nowait()
            return
        waited = request.extensions.get("timeout", {}).get("pool")
        try:
            with anyio.fail_after(waited):
                await semaphore.acquire()
        except TimeoutError:
            raise httpx2.PoolTimeout("no connection became free in time", request=request) from None

    def release(self) -> None:
        assert self._semaphore is not None
        self._semaphore.release()

    def hold(self, response: httpx2.Response) -> None:
        """Keep the slot until `response` is closed."""
        response.stream = _Held(response.stream, self.release)


class _Held(httpx2.AsyncByteStream):
    """A response's body that gives its slot back once closed."""

    __slots__ = ("_release", "_stream")

    def __init__(self, stream: object, release: Callable[[], None]) -> None:
        assert isinstance(stream, httpx2.AsyncByteStream)
        self._stream = stream
        self._release: Callable[[], None] | None = release

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()
