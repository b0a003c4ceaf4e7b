"""What reached the server: a request body the transport took in full.

Every attempt's body is a `SentBody` (meibel/_attempts.py wraps it): `sent` turns True once the
transport has taken the body's last byte (httpcore2 writes the headers first), so an error can
say whether the server may have received the whole request (`request_sent`). It costs one
wrapper and one generator per attempt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator

import httpx2

__all__ = ["SentBody"]


class SentBody(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A request body that notes when the transport has taken all of it (`sent`)."""

    __slots__ = ("inner", "sent")

    def __init__(self, inner: httpx2.SyncByteStream | httpx2.AsyncByteStream) -> None:
        self.inner = inner
        self.sent = False

    @property
    def replayable(self) -> bool:
        return bool(getattr(self.inner, "replayable", True))

    def __iter__(self) -> Iterator[bytes]:
        self.sent = False
        chunks: Iterable[bytes] = self.inner  # type: ignore[assignment]
        yield from chunks
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
