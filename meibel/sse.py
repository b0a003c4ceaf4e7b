"""Server-Sent Events parsing: the WHATWG event-stream interpretation rules, for any chunking.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

`iter_sse` and `aiter_sse` turn a stream of byte chunks into events. Each event is yielded as soon
as the blank line that ends it has arrived, before the next chunk is requested.
"""

from __future__ import annotations

import codecs
import contextlib
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["ServerSentEvent", "aiter_sse", "iter_sse"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event.

    `event` is "message" unless the block set a non-empty event type. `id` is the stream's last
    event ID when the event was dispatched: it persists across events until an `id` field changes
    it, is None while no `id` field was ever accepted, and is "" after an `id` field with an empty
    value (the spec's reset). `retry` is the reconnection time (ms) given in this event's own block,
    else None; a block without data dispatches nothing, so a `retry` alone in a block is not seen.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """`data` parsed as JSON."""
        return json.loads(self.data)


# An event's fields, in ServerSentEvent's order: the parser's output before an event is built.
_Fields = tuple[str, str, str | None, int | None]

# Building events through the slot descriptors skips the frozen __init__: twice as fast.
_new = object.__new__
_set_event, _set_data, _set_id, _set_retry = (
    ServerSentEvent.__dict__[name].__set__ for name in ("event", "data", "id", "retry")
)


def _build(fields: _Fields) -> ServerSentEvent:
    """The ServerSentEvent with these fields."""
    sse = _new(ServerSentEvent)
    _set_event(sse, fields[0])
    _set_data(sse, fields[1])
    _set_id(sse, fields[2])
    _set_retry(sse, fields[3])
    return sse


class _SSEDecoder:
    """Incremental event-stream parser: bytes in, completed events out."""

    __slots__ = ("_data", "_decoder", "_event", "_last_id", "_pending", "_retry", "_skip_lf")

    def __init__(self) -> None:
        # utf-8-sig is the spec's "UTF-8 decode": one leading BOM is dropped, also when split.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._pending: list[str] = []
        self._skip_lf = False
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume one chunk; return the events whose terminating blank line it completed."""
        return [_build(fields) for fields in self.feed_fields(chunk)]

    def feed_fields(self, chunk: bytes) -> list[_Fields]:
        """`feed`, each event as its fields: for consumers that may never need the event itself."""
        text: str = self._decoder.decode(chunk)
        if not text:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            # A CR ending the text is a complete line end; an LF starting the next text is its pair.
            self._skip_lf = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if len(lines) == 1:
            self._pending.append(text)
            return []
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = "".join(self._pending)
            self._pending.clear()
        tail = lines.pop()
        if tail:
            self._pending.append(tail)
        return self._process(lines)

    def _process(self, lines: list[str]) -> list[_Fields]:
        events: list[_Fields] = []
        data = self._data
        event = self._event
        last_id = self._last_id
        retry = self._retry
        for line in lines:
            if not line:
                if data:
                    joined = data[0] if len(data) == 1 else "\n".join(data)
                    events.append((event or "message", joined, last_id, retry))
                    data = []
                event = ""
                retry = None
                continue
            # The usual lines first, without the general split below.
            if line[:6] == "data: ":
                data.append(line[6:])
                continue
            if line[:7] == "event: ":
                event = line[7:]
                continue
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                if "\0" not in value:
                    last_id = value
            elif name == "retry" and value.isdigit() and value.isascii():
                with contextlib.suppress(ValueError):  # more digits than int() converts
                    retry = int(value.lstrip("0") or "0")
        self._data = data
        self._event = event
        self._last_id = last_id
        self._retry = retry
        return events


def iter_sse(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Parse an event stream given as byte chunks; an unterminated last event is discarded."""
    decoder = _SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    """Async `iter_sse`."""
    decoder = _SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
