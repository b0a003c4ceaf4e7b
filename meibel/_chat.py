"""The chat stream in the vendor guide's vocabulary.

`client.sessions.send_chat_message_stream(...)` yields ChatEvents whose `type` is:

- "content": `delta` is the next piece of the reply; the deltas add up to the final message.
- "citations": `citations` lists the sources the reply cites (only when there are some).
- "done": exactly once, last; `response` is the final ChatResult.
- "connected", "status", "tool_call", "tool_result", or any event name the spec does not know yet:
  passed through with that `type`.

Every event carries `model`, the spec's typed event (None for names the spec does not know).

How partial_response messages become deltas is the `partials=` option, never a guess:

- "incremental" (the default; the spec's "an incremental response"): each message is the next
  piece, and every non-empty piece is exactly one "content" event with that piece as `delta`.
- "cumulative", for a server that repeats all text so far: `delta` is what a message adds. A
  message that does not extend the text so far (a restart or a revision) is skipped; the
  completion settles the text.

At the completion, a message that strictly extends the text streamed so far delivers the rest as
one last "content" event. When the pieces do not add up to the completion's message (or, with
"cumulative", messages were skipped), one WARNING on the `meibel` logger says so and names the
`partials=` value to try; no delta is made up, and the result's `message` is always the
completion's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import httpx2
from attrs import field, frozen

from ._exceptions import MalformedEventError, StreamError, request_id_of
from ._generated import known
from ._logging import logger
from ._streaming import AsyncEventStream, EventStream, StreamEvent

if TYPE_CHECKING:
    from ._generated import (
        CompletionEvent,
        CompletionEventDataDataCitationsItem,
        CompletionEventDataDataSourcesItem,
    )

__all__ = ["AsyncChatStream", "ChatEvent", "ChatResult", "ChatStream", "Partials"]

# How the server's partial_response messages relate: each the next piece (the spec's word), or
# each all the text so far.
Partials: TypeAlias = Literal["incremental", "cumulative"]
_PARTIALS = ("incremental", "cumulative")


def check_partials(partials: object) -> None:
    """Raise ValueError unless `partials` is one of the Partials values."""
    if partials not in _PARTIALS:
        raise ValueError(f'partials must be "incremental" or "cumulative", not {partials!r}')


def _as_list(value: Any) -> list[Any]:
    value = known(value)
    return list(value) if isinstance(value, list) else []


@frozen
class ChatResult:
    """The finished reply: what a non-streaming chat would have returned.

    `citations` are the sources the reply cites, as on the "citations" event and on a
    non-streaming reply; `sources` is the completion's list as sent (the same list);
    `citation_marks` are the completion's own `citations`: where the text cites which sources
    (`position`, `source_ids`).
    """

    message: str
    clean_message: str | None = None
    sources: list[CompletionEventDataDataSourcesItem] = field(factory=list)
    citation_marks: list[CompletionEventDataDataCitationsItem] = field(factory=list)
    follow_up_questions: list[str] = field(factory=list)
    call_to_actions: list[Any] = field(factory=list)
    artifacts: list[Any] = field(factory=list)
    token_usage: dict[str, Any] | None = None
    signal_id: str | None = None
    completion: CompletionEvent | None = None

    @property
    def citations(self) -> list[CompletionEventDataDataSourcesItem]:
        """The sources the reply cites (the completion's `sources`); empty when there are none."""
        return self.sources


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
        """The sources the reply cites, as `ChatResult.citations` (empty on other event types)."""
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


def _spelled(message: str, pieces: list[str]) -> int:
    """How much of `message` the pieces spell from its start, or -1 where they depart from it."""
    at = 0
    for piece in pieces:
        if not message.startswith(piece, at):
            return -1
        at += len(piece)
    return at


class ChatDecoder:
    """Turns typed stream events into ChatEvents; the I/O-free core shared by sync and async."""

    def __init__(self, partials: Partials = "incremental") -> None:
        # The text so far, as pieces; `text` joins them in place (the sync hot path appends).
        self._pieces: list[str] = []
        self._last: str | None = None  # the last piece, once `text` has joined it with the rest
        self.cumulative = partials == "cumulative"
        self._skipped = 0  # cumulative messages that did not extend the text so far
        self.result: ChatResult | None = None
        self.signal_id: str | None = None

    @property
    def text(self) -> str:
        pieces = self._pieces
        if len(pieces) > 1:
            self._last = pieces[-1]
            joined = "".join(pieces)
            pieces.clear()
            pieces.append(joined)
        return pieces[0] if pieces else ""

    def _last_piece(self) -> str:
        pieces = self._pieces
        if len(pieces) == 1 and self._last is not None:
            return self._last
        return pieces[-1] if pieces else ""

    @property
    def completed(self) -> bool:
        return self.result is not None

    def content(self, message: str) -> str:
        """The delta for one partial_response message ("" for none)."""
        if self.cumulative:
            return self.extend(message)
        if message:
            self._pieces.append(message)
        return message

    def extend(self, message: str) -> str:
        """A cumulative message: the part beyond the text so far, "" if it does not extend it."""
        text = self.text
        if not message.startswith(text):
            self._skipped += 1
            if self._skipped == 1:
                logger.debug(
                    'chat stream (partials="cumulative"): a partial_response message does not '
                    "extend the %d characters so far; skipped, the completion settles the text",
                    len(text),
                )
            return ""
        delta = message[len(text) :]
        if delta:
            self._pieces[:] = [message]
        return delta

    def feed(self, event: StreamEvent[Any]) -> list[ChatEvent]:
        if self.completed:
            return []
        kind = event.type
        if kind == "partial_response":
            delta = self.content(_message(event))
            return [ChatEvent("content", event, delta)] if delta else []
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
        message = final.message
        events = []
        streamed = _spelled(message, self._pieces)
        if streamed < 0 or self._skipped:
            self._warn(self.text, message, adds_up=streamed >= 0)
        if streamed >= 0:
            if streamed < len(message):
                # The completion carries text not streamed yet: deliver it, the deltas then add up.
                events.append(ChatEvent("content", event, message[streamed:]))
            # The text so far is the message: keep that string, not a joined copy of it.
            self._pieces[:] = [message]
            self._last = None
        token_usage = final.additional_properties.get("token_usage")
        self.result = ChatResult(
            message=message,
            clean_message=final.clean_message,
            sources=_as_list(final.sources),
            citation_marks=_as_list(final.citations),
            follow_up_questions=_as_list(final.follow_up_questions),
            call_to_actions=_as_list(final.call_to_actions),
            artifacts=_as_list(final.artifacts),
            token_usage=token_usage if isinstance(token_usage, dict) else None,
            signal_id=self.signal_id,
            completion=completion,
        )
        if self.result.citations:
            events.append(ChatEvent("citations", event, citations=self.result.citations))
        events.append(ChatEvent("done", event, response=self.result))
        return events

    def _warn(self, text: str, message: str, adds_up: bool) -> None:
        """The one warning of a stream whose partials did not add up to the completion."""
        if self.cumulative:
            reasons = []
            if self._skipped:
                reasons.append(
                    f"{self._skipped} partial_response message(s) did not extend the text so far "
                    "and were skipped"
                )
            if not adds_up:
                reasons.append(
                    f"the completion's message ({len(message)} characters) does not extend the "
                    f"{len(text)} characters streamed"
                )
            logger.warning(
                'chat stream with partials="cumulative": %s; the result holds the completion\'s '
                "message. If this server sends each partial_response as the next piece, use "
                'partials="incremental" (the default).',
                " and ".join(reasons),
            )
            return
        last = self._last_piece()
        if last and message.startswith(last):
            # The pieces overshoot, yet the last one begins the message: each repeated the text.
            hint = (
                "The partial_response messages look cumulative (each repeats all text so far): "
                'pass partials="cumulative".'
            )
        else:
            hint = (
                'partials="incremental" (the default) takes each partial_response message as the '
                'next piece; pass partials="cumulative" if this server repeats all text so far.'
            )
        logger.warning(
            "chat stream: the streamed pieces (%d characters) do not add up to the completion's "
            "message (%d characters); the result holds the completion's message. %s",
            len(text),
            len(message),
            hint,
        )

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
        max_event_size: int | None = None,
        partials: Partials = "incremental",
    ) -> None:
        decoder = self._decoder = ChatDecoder(partials)
        self._partials = partials
        self.response = response
        # Bound to the decoder, not to self: a closure over self would make every stream a
        # reference cycle, kept (with its whole reply) until the cyclic collector next runs.
        self._stream_args: dict[str, Any] = {
            "events": events,
            "default": default,
            "sentinel": sentinel,
            "client": client,
            "max_event_size": max_event_size,
            "partial_text": partial(getattr, decoder, "text"),
            "completed": partial(getattr, decoder, "completed"),
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
    An invalid `partials=` raises ValueError when iteration starts (the stream is closed then).
    """

    def __init__(self, response: httpx2.Response, **options: Any) -> None:
        super().__init__(response, **options)
        self._events: EventStream[Any] = EventStream(response, **self._stream_args)

    def __iter__(self) -> Iterator[ChatEvent]:
        decoder = self._decoder
        pieces = decoder._pieces
        cumulative = decoder.cumulative
        try:
            check_partials(self._partials)
            for event in self._events.iterate():
                if event.type == "partial_response" and decoder.result is None:
                    # The hot path, inline: each non-empty piece is one content event.
                    try:
                        message = event.data["data"]["message"]
                    except (TypeError, KeyError):
                        message = None
                    if type(message) is not str:
                        message = _message(event)  # raises, naming the event
                    if cumulative:
                        message = decoder.extend(message)
                    elif message:
                        pieces.append(message)
                    if message:
                        yield ChatEvent("content", event, message)
                    continue
                yield from decoder.feed(event)
            yield from decoder.finish()
        except StreamError as error:  # a malformed chat event: the server's id for the request
            error.request_id = request_id_of(self.response)
            raise
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
    """The async twin of ChatStream: `async for`, `async with`, `aclose()`; the same events."""

    def __init__(self, response: httpx2.Response, **options: Any) -> None:
        super().__init__(response, **options)
        self._events: AsyncEventStream[Any] = AsyncEventStream(response, **self._stream_args)

    async def __aiter__(self) -> AsyncIterator[ChatEvent]:
        decoder = self._decoder
        try:
            check_partials(self._partials)
            async for event in self._events.iterate():
                if event.type == "partial_response" and decoder.result is None:
                    # The hot path: no list per event, as feed() would make.
                    delta = decoder.content(_message(event))
                    if delta:
                        yield ChatEvent("content", event, delta)
                    continue
                for chat_event in decoder.feed(event):
                    yield chat_event
            for chat_event in decoder.finish():
                yield chat_event
        except StreamError as error:
            error.request_id = request_id_of(self.response)
            raise
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
