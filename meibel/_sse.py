"""Server-Sent Events parsing: the WHATWG event-stream interpretation rules, for any chunking.

The implementation behind the public `meibel.sse`; the client's streams (meibel/_streaming.py) use
its decoder directly, and its events as bare fields until one is asked for.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import sys
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from ._exceptions import EventTooLargeError

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "Fields",
    "SSEDecoder",
    "ServerSentEvent",
    "aiter_sse",
    "build_event",
    "iter_sse",
]

# MeibelClient's default too (meibel._settings.DEFAULT_MAX_EVENT_SIZE, which says why 16 MiB).
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024


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
Fields = tuple[str, str, str | None, int | None]

# Building events through the slot descriptors skips the frozen __init__: twice as fast.
_new = object.__new__
_set_event, _set_data, _set_id, _set_retry = (
    ServerSentEvent.__dict__[name].__set__ for name in ("event", "data", "id", "retry")
)


def build_event(fields: Fields) -> ServerSentEvent:
    """The ServerSentEvent with these fields."""
    sse = _new(ServerSentEvent)
    _set_event(sse, fields[0])
    _set_data(sse, fields[1])
    _set_id(sse, fields[2])
    _set_retry(sse, fields[3])
    return sse


class SSEDecoder:
    """Incremental event-stream parser: bytes in, completed events out.

    With `max_event_size`, raises EventTooLargeError once the event in progress holds more: its
    data lines so far (in characters: one per byte for ASCII) plus the line still without its end
    (in bytes received). Both are measured as each chunk is taken in, so no more than the limit
    plus one chunk is held across chunks; an event that arrives whole within one chunk is not
    measured (it is already in memory as that chunk).
    """

    __slots__ = (
        "_counted",
        "_data",
        "_data_size",
        "_decoder",
        "_event",
        "_last_id",
        "_limit",
        "_pending",
        "_pending_size",
        "_retry",
        "_room",
        "_skip_lf",
    )

    def __init__(self, max_event_size: int | None = None) -> None:
        if max_event_size is not None and max_event_size < 1:
            raise ValueError(
                f"max_event_size must be a positive number of bytes, or None, not {max_event_size}"
            )
        # utf-8-sig is the spec's "UTF-8 decode": one leading BOM is dropped, also when split.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._pending: list[str] = []
        self._skip_lf = False
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None
        # The size accounting, kept as ints so the hot path only adds and compares: the pending
        # line's size, the size of `_data`'s first `_counted` items (each a line, or the lines one
        # chunk added, joined), and the room those leave the pending line (`_limit` less them).
        self._limit = sys.maxsize if max_event_size is None else max_event_size
        self._pending_size = 0
        self._data_size = 0
        self._counted = 0
        self._room = self._limit

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume one chunk; return the events whose terminating blank line it completed."""
        return [build_event(fields) for fields in self.feed_fields(chunk)]

    def feed_fields(self, chunk: bytes) -> list[Fields]:
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
            self._pending_size += len(chunk)
            if self._pending_size > self._room:
                self._too_large()
            return []
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = "".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
        tail = lines.pop()
        if not tail:
            return self._process(lines)
        self._pending.append(tail)
        self._pending_size = size = len(tail)
        events = self._process(lines)
        if size > self._room:
            self._too_large()
        return events

    def _too_large(self) -> NoReturn:
        """Drop what the event holds (a traceback keeps the parser alive) and raise."""
        self._pending.clear()
        self._data = []
        self._pending_size = self._data_size = self._counted = 0
        self._room = self._limit
        size = self._limit
        shown = f"{size} bytes"
        for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
            if size >= scale:
                shown = f"{size / scale:g} {unit} ({size} bytes)"
                break
        raise EventTooLargeError(
            f"an event of the stream exceeded max_event_size={shown} before it ended, so reading "
            "stopped; if events this large are expected, pass a larger max_event_size=",
            max_event_size=size,
        )

    def _process(self, lines: list[str]) -> list[Fields]:
        events: list[Fields] = []
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
        if self._counted and data is not self._data:  # the event counted so far was dispatched
            self._counted = 0
            self._room = self._limit
        self._data = data
        self._event = event
        self._last_id = last_id
        self._retry = retry
        if data and len(data) != self._counted:
            # The event in progress gained data lines: count them (each with the "\n" it joins),
            # and keep them as one string: a short line's own object is several times its text.
            counted = self._counted
            new = data[counted:]
            size = (self._data_size if counted else 0) + len(new) + sum(map(len, new))
            if len(new) > 1:
                data[counted:] = ["\n".join(new)]
            self._data_size = size
            self._counted = len(data)
            self._room = self._limit - size
            if self._pending_size > self._room:
                self._too_large()
        return events


def iter_sse(
    chunks: Iterable[bytes], *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
) -> Iterator[ServerSentEvent]:
    """Parse an event stream given as byte chunks; an unterminated last event is discarded.

    Raises EventTooLargeError once one event holds more than `max_event_size` bytes before it
    ends (a line without its end counts too): 16 MiB by default, as for MeibelClient, since a
    parser of untrusted input should be bounded unless asked not to be; None lifts the bound.
    """
    decoder = SSEDecoder(max_event_size)
    for chunk in chunks:
        yield from decoder.feed(chunk)


async def aiter_sse(
    chunks: AsyncIterable[bytes], *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
) -> AsyncIterator[ServerSentEvent]:
    """Async `iter_sse`."""
    decoder = SSEDecoder(max_event_size)
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
