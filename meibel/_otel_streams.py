"""A streamed answer's span: open until the body is closed, with the stream's events counted.

A call sent with `stream=True` (an event stream, a chat stream, a download) keeps its span open
once its headers are in: `ObservedBody` takes the place of the response's body, and closing it
(on `close()`, on `break`, or when a stream nobody closed is collected) ends the span. An event
stream's events pass through `counted` / `acounted` on their way out of the stream's decoder:
each one is counted, the first one timed, and an error raised while reading fails the span.
When the body is closed because it was read to its end (or broke) while the events are read,
the span ends with them instead, once the stream has said what that end was (its last events, or
an interruption).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

import httpx2

if TYPE_CHECKING:
    from ._otel_calls import Call

__all__ = ["ObservedBody", "acounted", "call_of", "counted"]

T = TypeVar("T")


class ObservedBody(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """`stream` (a response's body) whose closing ends `call`."""

    def __init__(self, stream: httpx2.SyncByteStream | httpx2.AsyncByteStream, call: Call) -> None:
        self._stream = stream
        self.call = call
        self._read_out = False  # read to its end, or to a transport error

    def __iter__(self) -> Iterator[bytes]:
        stream: Iterable[bytes] = self._stream  # type: ignore[assignment]
        try:
            yield from stream
        except httpx2.TransportError as error:
            self.call.failed(error)
            self._read_out = True
            raise
        self._read_out = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx2.AsyncByteStream)
        try:
            async for chunk in self._stream:
                yield chunk
        except httpx2.TransportError as error:
            self.call.failed(error)
            self._read_out = True
            raise
        self._read_out = True

    def close(self) -> None:
        assert isinstance(self._stream, httpx2.SyncByteStream)
        try:
            self._stream.close()
        finally:
            self.call.body_closed(self._read_out)

    async def aclose(self) -> None:
        assert isinstance(self._stream, httpx2.AsyncByteStream)
        try:
            await self._stream.aclose()
        finally:
            self.call.body_closed(self._read_out)


def call_of(response: httpx2.Response) -> Call | None:
    """The Call whose span `response`'s body holds open, if it is traced."""
    body = response.stream
    return body.call if isinstance(body, ObservedBody) else None


def counted(call: Call, events: Iterator[T]) -> Iterator[T]:
    """`events`, each counted on `call`; `complete` once they ran out without an error."""
    call.stream_opened()
    try:
        for event in events:
            call.event_seen()
            yield event
        call.complete = True
    except Exception as error:
        call.failed(error)
        raise
    finally:
        close = getattr(events, "close", None)
        if close is not None:  # closed early: the decoder's generator is closed too, at once
            close()
        call.stream_closed()


async def acounted(call: Call, events: AsyncIterator[T]) -> AsyncIterator[T]:
    """The async twin of `counted`."""
    call.stream_opened()
    try:
        async for event in events:
            call.event_seen()
            yield event
        call.complete = True
    except Exception as error:
        call.failed(error)
        raise
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
        call.stream_closed()
