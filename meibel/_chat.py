"""The chat stream in the vendor guide's vocabulary.

`client.sessions.send_chat_message_stream(...)` yields ChatEvents whose `type` is:

- "content": `delta` is the next piece of the reply. Deltas add up to the final message whether the
  server's partial_response `message` is cumulative (each repeats all text so far) or incremental;
  the completion's message settles any remainder.
- "citations": `citations` lists the completion's sources (only when it has some).
- "done": exactly once, last; `response` is the final ChatResult.
- "connected", "status", "tool_call", "tool_result", or any event name the spec does not know yet:
  passed through with that `type`.

Every event carries `model`, the spec's typed event (None for names the spec does not know).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx2
from attrs import field, frozen

from ._exceptions import MalformedEventError
from ._streaming import AsyncEventStream, EventStream, StreamEvent

if TYPE_CHECKING:
    from meibel_api_v2.models import CompletionEvent, CompletionEventDataDataSourcesItem

__all__ = ["AsyncChatStream", "ChatEvent", "ChatResult", "ChatStream"]


def _known(value: Any) -> Any:
    return None if type(value).__name__ == "Unset" else value


def _as_list(value: Any) -> list[Any]:
    value = _known(value)
    return list(value) if isinstance(value, list) else []


@frozen
class ChatResult:
    """The finished reply: what a non-streaming chat would have returned."""

    message: str
    clean_message: str | None = None
    sources: list[CompletionEventDataDataSourcesItem] = field(factory=list)
    citations: list[Any] = field(factory=list)
    follow_up_questions: list[str] = field(factory=list)
    call_to_actions: list[Any] = field(factory=list)
    artifacts: list[Any] = field(factory=list)
    token_usage: dict[str, Any] | None = None
    signal_id: str | None = None
    completion: CompletionEvent | None = None


class ChatEvent:
    """One event of a chat stream (see the module docstring for the types).

    `model` is the spec's typed event, built on first access; `data` is its JSON payload.
    """

    __slots__ = ("_citations", "_source", "delta", "response", "type")

    def __init__(
        self,
        type: str,
        source: StreamEvent[Any] | None = None,
        delta: str = "",
        *,
        citations: list[CompletionEventDataDataSourcesItem] | None = None,
        response: ChatResult | None = None,
    ) -> None:
        self.type = type
        self.delta = delta
        self._citations = citations
        self.response = response
        self._source = source

    @property
    def citations(self) -> list[CompletionEventDataDataSourcesItem]:
        """The completion's sources (on the "citations" event; empty on the others)."""
        return self._citations if self._citations is not None else []

    @property
    def model(self) -> Any:
        return None if self._source is None else self._source.model

    @property
    def data(self) -> Any:
        return None if self._source is None else self._source.data

    def __repr__(self) -> str:
        detail = f", delta={self.delta!r}" if self.type == "content" else ""
        return f"ChatEvent(type={self.type!r}{detail})"


def _message(event: StreamEvent[Any]) -> str:
    """The `data.data.message` of a partial_response or completion, checked."""
    data = event.data
    inner = data.get("data") if isinstance(data, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else None
    if not isinstance(message, str):
        raise MalformedEventError(
            f"the {event.type!r} event has no data.message string: {event.sse.data[:500]!r}",
            event=event.type,
            data=event.sse.data,
        )
    return message


class ChatDecoder:
    """Turns typed stream events into ChatEvents; the I/O-free core shared by sync and async."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._length = 0
        self.result: ChatResult | None = None
        self.signal_id: str | None = None

    @property
    def text(self) -> str:
        if len(self._pieces) > 1:
            self._pieces = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    @property
    def completed(self) -> bool:
        return self.result is not None

    def _add(self, delta: str) -> str:
        self._pieces.append(delta)
        self._length += len(delta)
        return delta

    def _content(self, message: str) -> str:
        # A cumulative server repeats the text so far; an incremental one sends only the new part.
        length = self._length
        if length and len(message) >= length and message.startswith(self.text):
            message = message[length:]
        self._pieces.append(message)
        self._length = length + len(message)
        return message

    def feed(self, event: StreamEvent[Any]) -> list[ChatEvent]:
        if self.completed:
            return []
        kind = event.type
        if kind == "partial_response":
            delta = self._content(_message(event))
            return [ChatEvent("content", event, delta=delta)] if delta else []
        if kind == "completion":
            _message(event)
            return self._complete(event)
        if kind == "connected":
            signal_id = event.data.get("signal_id") if isinstance(event.data, dict) else None
            self.signal_id = signal_id if isinstance(signal_id, str) else None
        return [ChatEvent(kind, event)]

    def _complete(self, event: StreamEvent[Any]) -> list[ChatEvent]:
        completion = cast("CompletionEvent", event.model)
        final = completion.data.data
        events = []
        text = self.text
        if final.message.startswith(text) and len(final.message) > len(text):
            events.append(ChatEvent("content", event, delta=self._add(final.message[len(text) :])))
        token_usage = final.additional_properties.get("token_usage")
        self.result = ChatResult(
            message=final.message,
            clean_message=final.clean_message,
            sources=_as_list(final.sources),
            citations=_as_list(final.citations),
            follow_up_questions=_as_list(final.follow_up_questions),
            call_to_actions=_as_list(final.call_to_actions),
            artifacts=_as_list(final.artifacts),
            token_usage=token_usage if isinstance(token_usage, dict) else None,
            signal_id=self.signal_id,
            completion=completion,
        )
        if self.result.sources:
            events.append(ChatEvent("citations", event, citations=self.result.sources))
        events.append(ChatEvent("done", event, response=self.result))
        return events

    def finish(self) -> list[ChatEvent]:
        """Events owed when the server ended with its sentinel but sent no completion."""
        if self.completed:
            return []
        self.result = ChatResult(message=self.text, signal_id=self.signal_id)
        return [ChatEvent("done", response=self.result)]


class _ChatBase:
    def __init__(
        self,
        response: httpx2.Response,
        *,
        events: Mapping[str, type],
        default: type | None,
        sentinel: str | None,
        client: object,
    ) -> None:
        self._decoder = ChatDecoder()
        self.response = response
        self._stream_args: dict[str, Any] = {
            "events": events,
            "default": default,
            "sentinel": sentinel,
            "client": client,
            "partial_text": lambda: self._decoder.text,
            "completed": lambda: self._decoder.completed,
        }

    @property
    def text(self) -> str:
        """The reply's text received so far."""
        return self._decoder.text

    @property
    def result(self) -> ChatResult | None:
        """The final reply once `done` has been yielded, else None."""
        return self._decoder.result


class ChatStream(_ChatBase):
    """A streaming chat reply: iterate for ChatEvents; a context manager.

    `close()` (also reached by `break` and by leaving a `with` block) releases the connection.
    """

    def __init__(self, response: httpx2.Response, **options: Any) -> None:
        super().__init__(response, **options)
        self._events: EventStream[Any] = EventStream(response, **self._stream_args)

    def __iter__(self) -> Iterator[ChatEvent]:
        decoder = self._decoder
        try:
            for event in self._events.iterate():
                if event.type == "partial_response" and decoder.result is None:
                    # The hot path, inline: one content event per delta.
                    try:
                        message = event.data["data"]["message"]
                    except (TypeError, KeyError):
                        message = None
                    if type(message) is not str:
                        message = _message(event)  # raises, naming the event
                    delta = decoder._content(message)
                    if delta:
                        yield ChatEvent("content", event, delta)
                    continue
                yield from decoder.feed(event)
            yield from decoder.finish()
        finally:
            self.close()  # also on `break`: the connection is released at once

    def text_stream(self) -> Iterator[str]:
        """Only the text deltas, as they arrive."""
        for event in self:
            if event.type == "content":
                yield event.delta

    def final_response(self) -> ChatResult:
        """Read the stream to its end and return the finished reply."""
        for _ in self:
            pass
        assert self._decoder.result is not None  # iteration raises unless the stream completed
        return self._decoder.result

    def close(self) -> None:
        self._events.close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncChatStream(_ChatBase):
    """The async twin of ChatStream: `async for`, `async with`, `aclose()`."""

    def __init__(self, response: httpx2.Response, **options: Any) -> None:
        super().__init__(response, **options)
        self._events: AsyncEventStream[Any] = AsyncEventStream(response, **self._stream_args)

    async def __aiter__(self) -> AsyncIterator[ChatEvent]:
        try:
            async for event in self._events.iterate():
                for chat_event in self._decoder.feed(event):
                    yield chat_event
            for chat_event in self._decoder.finish():
                yield chat_event
        finally:
            await self.aclose()

    async def text_stream(self) -> AsyncIterator[str]:
        """Only the text deltas, as they arrive."""
        async for event in self:
            if event.type == "content":
                yield event.delta

    async def final_response(self) -> ChatResult:
        """Read the stream to its end and return the finished reply."""
        async for _ in self:
            pass
        assert self._decoder.result is not None
        return self._decoder.result

    async def aclose(self) -> None:
        await self._events.aclose()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
