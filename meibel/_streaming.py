"""Typed events from a `text/event-stream` response, sync and async.

`meibel._sse` turns bytes into `ServerSentEvent`s; this module turns those into `StreamEvent`s
carrying the spec's model for the event (chosen by the event name, as the spec's discriminator
says), and owns the stream's life: the sentinel that ends it, `error` events, interruption,
stalls, a deadline given to it (meibel/_deadline.py ends the reading; StreamDeadlineError), and
releasing the connection (at the end, on `close()`, on `break`, and when a stream nobody closed
is garbage-collected, with a ResourceWarning as for an unclosed file).
"""

from __future__ import annotations

import _thread
import json
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import httpx2
import orjson

from ._deadline import DeadlineExceeded
from ._exceptions import (
    MalformedEventError,
    StreamDeadlineError,
    StreamError,
    StreamEventError,
    StreamInterruptedError,
    StreamStalledError,
    request_id_of,
)
from ._sse import Fields, ServerSentEvent, SSEDecoder, build_event

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop, Task

__all__ = ["AsyncEventStream", "EventStream", "StreamEvent"]

ModelT = TypeVar("ModelT")


class StreamEvent(Generic[ModelT]):
    """One event: its name, its JSON payload, and the spec's model for it (None when unknown).

    The model is built on first access to `model` (most consumers need only `data`), and raises
    MalformedEventError if the payload does not match the spec.
    """

    __slots__ = ("_model", "_model_type", "_sse", "data", "type")

    def __init__(
        self, type: str, data: Any, model_type: type | None, sse: ServerSentEvent | Fields
    ) -> None:
        self.type = type
        self.data = data
        self._sse = sse  # the parser's fields until `sse` is first read
        self._model_type = model_type
        self._model: Any = _UNPARSED

    @property
    def sse(self) -> ServerSentEvent:
        """The wire-level event this was decoded from."""
        sse = self._sse
        if isinstance(sse, tuple):
            sse = self._sse = build_event(sse)
        return sse

    @property
    def model(self) -> ModelT | None:
        if self._model is _UNPARSED:
            self._model = self._parse()
        return cast("ModelT | None", self._model)

    def _parse(self) -> object:
        if self._model_type is None:
            return None
        payload = self.data if self.type == "message" else {"event": self.type, "data": self.data}
        try:
            return self._model_type.from_dict(payload)  # type: ignore[attr-defined]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise MalformedEventError(
                f"the {self.type!r} event does not match the spec's {self._model_type.__name__} "
                f"({type(error).__name__}: {error}): {self.sse.data[:500]!r}",
                event=self.type,
                data=self.sse.data,
            ) from error

    def __repr__(self) -> str:
        return f"StreamEvent(type={self.type!r}, data={self.data!r})"


_UNPARSED: Any = object()


class EventDecoder:
    """Turns server-sent events into StreamEvents; the I/O-free core shared by sync and async."""

    def __init__(
        self,
        events: Mapping[str, type],
        default: type | None,
        sentinel: str | None,
    ) -> None:
        self._events = events
        self._default = default
        self.sentinel = sentinel
        # Only data this short can be the sentinel (give or take whitespace): a cheap first test.
        self._sentinel_limit = -1 if sentinel is None else len(sentinel) + 8
        self.finished = False

    def decode(self, sse: Fields) -> StreamEvent[Any] | None:
        """The typed event, or None when `sse` (an event's fields) is the end-of-stream sentinel."""
        name, text, _, _ = sse
        if len(text) < self._sentinel_limit and text.strip() == self.sentinel:
            self.finished = True
            return None
        model_type = self._events.get(name)
        if model_type is None:
            if name == "error":
                raise self._error_event(sse)
            if name == "message":
                model_type = self._default
        try:
            data = orjson.loads(text) if text else None
        except orjson.JSONDecodeError as error:
            if model_type is None:
                return StreamEvent(name, text, None, sse)
            raise MalformedEventError(
                f"the {name!r} event is not valid JSON ({error}): {text[:500]!r}",
                event=name,
                data=text,
            ) from error
        return StreamEvent(name, data, model_type, sse)

    @staticmethod
    def _error_event(sse: Fields) -> StreamEventError:
        try:
            body: object = json.loads(sse[1])
        except json.JSONDecodeError:
            body = sse[1]
        status: int | None = None
        detail: object = body
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict):
                candidate = inner.get("status_code", inner.get("status", inner.get("code")))
                status = candidate if isinstance(candidate, int) else None
                detail = inner.get("detail", inner.get("message", inner))
        suffix = f" ({status})" if status is not None else ""
        return StreamEventError(
            f"the server sent an error event{suffix}: {detail}", status_code=status, body=body
        )


class _StreamBase:
    def __init__(
        self,
        response: httpx2.Response,
        *,
        events: Mapping[str, type],
        default: type | None,
        sentinel: str | None,
        client: object,
        partial_text: Callable[[], str] = str,
        completed: Callable[[], bool] = bool,
        max_event_size: int | None = None,
    ) -> None:
        self.response = response
        self._max_event_size = max_event_size
        self._decoder = EventDecoder(events, default, sentinel)
        self._idle_timeout = response.request.extensions.get("timeout", {}).get("read")
        self._client = client
        self._partial_text = partial_text
        self._completed = completed

    @property
    def finished(self) -> bool:
        """True once the stream ended as the server intended."""
        return self._decoder.finished

    def _interrupted(self, error: BaseException | None) -> StreamError:
        text = self._partial_text()
        stopped: StreamError
        if isinstance(error, DeadlineExceeded):
            stopped = StreamDeadlineError(
                f"the deadline of {error.seconds:g} s passed before the stream ended",
                deadline=error.seconds,
                text=text,
            )
        elif isinstance(error, httpx2.ReadTimeout):
            stopped = StreamStalledError(
                f"no data for {self._idle_timeout} s: the stream stalled",
                idle_timeout=float(self._idle_timeout or 0),
                text=text,
            )
        else:
            reason = f": {type(error).__name__}: {error}" if error is not None else ""
            stopped = StreamInterruptedError(
                f"the stream ended before it completed{reason}", text=text
            )
        stopped.request_id = request_id_of(self.response)
        return stopped

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Wrap reading the body: transport failures and early ends become stream errors, and
        every stream error raised meanwhile carries the server's request id.

        A failure after the stream completed (while draining its tail) is not an error; on a
        stream without a sentinel a failure is one, as it cuts the body short.
        """
        try:
            yield
        except httpx2.TransportError as error:
            if not (self._decoder.finished or self._completed()):
                raise self._interrupted(error) from error
            return
        except StreamError as error:  # an error event, a malformed or oversized event
            error.request_id = request_id_of(self.response)
            raise
        if not self._ended_cleanly():
            raise self._interrupted(None)

    def _ended_cleanly(self) -> bool:
        """Whether the end of the body is a normal end: after the sentinel, if there is one."""
        return self._decoder.finished or self._decoder.sentinel is None or self._completed()


class EventStream(_StreamBase, Generic[ModelT]):
    """Iterate for StreamEvents; a context manager; `close()` releases the connection."""

    _iterator: Iterator[StreamEvent[ModelT]] | None = None

    def _events(self) -> Iterator[StreamEvent[Any]]:
        # `iter_sse` inlined: each chunk's events are a list, not one more generator to resume.
        decoder = self._decoder
        decode = decoder.decode
        feed = SSEDecoder(self._max_event_size).feed_fields
        with self.reading():
            for chunk in self.response.iter_bytes():
                for sse in feed(chunk):
                    if decoder.finished:
                        continue  # drain to the end so the connection can be reused
                    event = decode(sse)
                    if event is not None:
                        yield event

    def iterate(self) -> Iterator[StreamEvent[ModelT]]:
        """The events, without closing on exit (for wrappers that close the stream themselves)."""
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    def __iter__(self) -> Iterator[StreamEvent[ModelT]]:
        try:
            yield from self.iterate()
        finally:
            # Reached on the end, on an error, and on `break` (the generator is closed then).
            self.close()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self.response.close()

    def __enter__(self) -> EventStream[ModelT]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        response: httpx2.Response | None = self.__dict__.get("response")
        if response is None or response.is_closed:
            return
        # Released before the warning, which a warnings filter may turn into an exception.
        _close_on_a_thread(response.close)
        _warn(_unclosed(response, "use `with` or close()"), ResourceWarning, source=self)


class AsyncEventStream(_StreamBase, Generic[ModelT]):
    """`async for` StreamEvents; an async context manager; `aclose()` releases the connection."""

    _iterator: AsyncIterator[StreamEvent[ModelT]] | None = None

    def __init__(self, response: httpx2.Response, **options: Any) -> None:
        super().__init__(response, **options)
        # The loop that can close the response should the stream be collected unclosed.
        self._loop = _running_asyncio_loop()

    async def _events(self) -> AsyncIterator[StreamEvent[Any]]:
        decoder = self._decoder
        decode = decoder.decode
        feed = SSEDecoder(self._max_event_size).feed_fields
        with self.reading():
            async for chunk in self.response.aiter_bytes():
                for sse in feed(chunk):
                    if decoder.finished:
                        continue
                    event = decode(sse)
                    if event is not None:
                        yield event

    def iterate(self) -> AsyncIterator[StreamEvent[ModelT]]:
        """The events, without closing on exit (for wrappers that close the stream themselves)."""
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    async def __aiter__(self) -> AsyncIterator[StreamEvent[ModelT]]:
        try:
            async for event in self.iterate():
                yield event
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        await self.response.aclose()

    async def __aenter__(self) -> AsyncEventStream[ModelT]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        response: httpx2.Response | None = self.__dict__.get("response")
        if response is None or response.is_closed:
            return
        loop: AbstractEventLoop | None = self.__dict__.get("_loop")
        if loop is not None:
            # As asyncio finalises an abandoned async generator: aclose() in a task of its loop.
            with suppress(RuntimeError):  # the loop is closed: its sockets went with it
                loop.call_soon_threadsafe(_aclose_in_a_task, loop, response)
        _warn(_unclosed(response, "use `async with` or aclose()"), ResourceWarning, source=self)


def _unclosed(response: httpx2.Response, advice: str) -> str:
    request = response.request
    return f"unclosed meibel stream: {request.method} {request.url}; {advice}"


def _close_on_a_thread(close: Callable[[], object]) -> None:
    """Run `close` on a thread of its own, for a finalizer.

    A finalizer runs wherever the collector interrupted this thread, maybe inside a lock that
    closing takes (httpcore2's pool lock, or an HTTP/2 connection's state lock, which is not
    reentrant): another thread waits for the lock instead of deadlocking on it. `_thread`, as
    `threading` takes a lock of its own to start a thread.
    """
    with suppress(RuntimeError):  # the interpreter is shutting down
        _thread.start_new_thread(_quietly, (close,))


def _quietly(close: Callable[[], object]) -> None:
    with suppress(Exception):  # a broken connection is as released as a closed one
        close()


def _running_asyncio_loop() -> AbstractEventLoop | None:
    """The asyncio loop running this code; None under another one (trio)."""
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


# Tasks closing collected streams: the loop keeps only a weak reference to a task.
_closing: set[Task[None]] = set()


def _aclose_in_a_task(loop: AbstractEventLoop, response: httpx2.Response) -> None:
    task = loop.create_task(_aclose_quietly(response))
    _closing.add(task)
    task.add_done_callback(_closing.discard)


async def _aclose_quietly(response: httpx2.Response) -> None:
    with suppress(Exception):
        await response.aclose()
