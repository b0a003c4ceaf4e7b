"""meibel.sse against the WHATWG event-stream rules, under any chunking, sync and async; and the
bound on what it holds for one event (max_event_size)."""

from __future__ import annotations

import dataclasses
import random
import re
import sys
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from itertools import pairwise

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sse_vectors import VECTORS, Vector

from meibel import EventTooLargeError, StreamError, sse
from meibel._sse import SSEDecoder
from meibel.sse import ServerSentEvent, aiter_sse, iter_sse


def whole(stream: bytes, seed: int) -> list[bytes]:
    return [stream]


def bytewise(stream: bytes, seed: int) -> list[bytes]:
    return [stream[i : i + 1] for i in range(len(stream))]


def random_sizes(stream: bytes, seed: int) -> list[bytes]:
    """Chunks of 0 to 9 bytes: every split point is likely, empty chunks included."""
    rng = random.Random(seed)
    chunks, start = [], 0
    while start < len(stream):
        size = rng.randint(0, 9)
        chunks.append(stream[start : start + size])
        start += size
    return chunks


CHUNKINGS: dict[str, Callable[[bytes, int], list[bytes]]] = {
    "whole": whole,
    "bytewise": bytewise,
    "random": random_sizes,
}


def parse(chunks: Sequence[bytes]) -> list[ServerSentEvent]:
    return list(iter_sse(iter(chunks)))


async def aparse(chunks: Sequence[bytes]) -> list[ServerSentEvent]:
    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return [event async for event in aiter_sse(source())]


def reference_parse(stream: bytes) -> list[ServerSentEvent]:
    """The spec's steps taken literally, on the whole stream at once."""
    text = stream.decode("utf-8-sig", errors="replace")
    *lines, _unterminated = re.split("\r\n|\r|\n", text)
    events = []
    data, event_type, last_id, retry = "", "", None, None
    for line in lines:
        if line == "":
            if data:
                events.append(ServerSentEvent(event_type or "message", data[:-1], last_id, retry))
            data, event_type, retry = "", "", None
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
        else:
            field, value = line, ""
        if field == "event":
            event_type = value
        elif field == "data":
            data += value + "\n"
        elif field == "id" and "\0" not in value:
            last_id = value
        elif field == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value.lstrip("0") or "0")
    return events


def chunks_for(vector: Vector, chunking: str) -> list[bytes]:
    chunks = CHUNKINGS[chunking](vector.stream, zlib.crc32(vector.name.encode()))
    assert b"".join(chunks) == vector.stream
    return chunks


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_vector(vector: Vector, chunking: str) -> None:
    assert parse(chunks_for(vector, chunking)) == vector.events


@pytest.mark.anyio
@pytest.mark.parametrize("chunking", list(CHUNKINGS))
@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
async def test_vector_async(vector: Vector, chunking: str) -> None:
    assert await aparse(chunks_for(vector, chunking)) == vector.events


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_reference_parser_agrees_with_vector(vector: Vector) -> None:
    assert reference_parse(vector.stream) == vector.events


def test_cr_at_chunk_end_ends_the_line_and_pairs_with_a_leading_lf() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == []  # the LF of "\r\n", not a blank line
    assert decoder.feed(b"data: b\r") == []
    assert decoder.feed(b"\r") == [ServerSentEvent(data="a\nb")]  # dispatched without waiting
    assert decoder.feed(b"\n\n") == []  # LF paired with the CR, then a blank line with no data
    assert decoder.feed(b"data: c\r") == []
    assert decoder.feed(b"\xe2") == []
    # "\u2026" is a line of its own (an unknown field): only an LF right after a CR is skipped.
    assert decoder.feed(b"\x80\xa6\ndata: d\r\n\r") == [ServerSentEvent(data="c\nd")]
    assert decoder.feed(b"\ndata: e\r\r") == [ServerSentEvent(data="e")]


def test_retry_with_more_digits_than_int_converts_is_ignored() -> None:
    limit = sys.get_int_max_str_digits()
    digits = "9" * (limit + 1 if limit else 5000)
    stream = f"retry: {digits}\ndata: a\n\n".encode()
    assert parse([stream]) == [ServerSentEvent(data="a", retry=None if limit else int(digits))]


def test_long_line_in_tiny_chunks() -> None:
    value = "".join(random.Random(7).choices("ab:\u2028\u00e9 ", k=60_000))
    stream = f"event: big\ndata: {value}\r\n\r\n".encode()
    chunks = [stream[i : i + 3] for i in range(0, len(stream), 3)]
    assert parse(chunks) == [ServerSentEvent(event="big", data=value)]


def test_many_events_in_one_chunk() -> None:
    stream = b"".join(b"id: %d\ndata: %d\n\n" % (i, i) for i in range(5000))
    events = parse([stream])
    assert events == [ServerSentEvent(data=str(i), id=str(i)) for i in range(5000)]


def test_event_value_semantics() -> None:
    (event,) = parse([b'event: e\nid: 1\nretry: 5\ndata: {"a": [1, null]}\n\n'])
    assert event == ServerSentEvent("e", '{"a": [1, null]}', "1", 5)
    assert hash(event) == hash(ServerSentEvent("e", '{"a": [1, null]}', "1", 5))
    assert event.json() == {"a": [1, None]}
    assert ServerSentEvent() == ServerSentEvent("message", "", None, None)
    assert not hasattr(event, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "changed"  # type: ignore[misc]
    assert repr(event) == "ServerSentEvent(event='e', data='{\"a\": [1, null]}', id='1', retry=5)"


def test_public_api() -> None:
    assert sorted(sse.__all__) == ["ServerSentEvent", "aiter_sse", "iter_sse"]


# Chunk, and the data of the events it completes. Event N must be yielded after chunk N's pull and
# before the next pull: no read-ahead, and no waiting for a fuller buffer.
PROMPT_CHUNKS: list[tuple[bytes, list[str]]] = [
    (b"data: 1\n", []),
    (b"\n", ["1"]),
    (b"data: 2\r", []),
    (b"\r", ["2"]),
    (b"\ndata: 3\r\n\r", ["3"]),
    (b"\n", []),
    (b"data: 4\n\ndata: 5\n\n", ["4", "5"]),
    (b"data: 6", []),
    (b"\n\n", ["6"]),
    (b"data: \xe2\x80", []),
    (b"\xa6\n", []),
    (b"\n", ["\u2026"]),
    (b"data: never dispatched\n", []),
]
PROMPT_EXPECTED = [(n, data) for n, (_, datas) in enumerate(PROMPT_CHUNKS, 1) for data in datas]


def test_no_read_ahead() -> None:
    pulled = 0

    def source() -> Iterator[bytes]:
        nonlocal pulled
        for chunk, _ in PROMPT_CHUNKS:
            pulled += 1
            yield chunk

    seen = [(pulled, event.data) for event in iter_sse(source())]
    assert seen == PROMPT_EXPECTED
    assert pulled == len(PROMPT_CHUNKS)


@pytest.mark.anyio
async def test_no_read_ahead_async() -> None:
    pulled = 0

    async def source() -> AsyncIterator[bytes]:
        nonlocal pulled
        for chunk, _ in PROMPT_CHUNKS:
            pulled += 1
            yield chunk

    seen = [(pulled, event.data) async for event in aiter_sse(source())]
    assert seen == PROMPT_EXPECTED
    assert pulled == len(PROMPT_CHUNKS)


values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=10),
    st.sampled_from(["", " ", "  x", "0", "42", "007", "1x", "\0", "\u2028", "\u0085", "\ufeff"]),
)
names = st.sampled_from([*["data"] * 4, "event", "id", "retry", "", "Data", " data", "\ufeffdata"])
field_lines = st.builds(
    lambda name, colon, value: name + colon + value,
    names,
    st.sampled_from(["", ":", ": ", ":  "]),
    values,
)
comments = values.map(":".__add__)
line_ends = st.sampled_from(["\n", "\r", "\r\n"])
terminated_lines = st.lists(st.tuples(st.one_of(field_lines, comments), line_ends), max_size=5).map(
    lambda pairs: "".join(line + end for line, end in pairs)
)
structured = st.builds(
    lambda bom, blocks, tail, partial: (bom + "".join(blocks) + tail + partial).encode(),
    st.sampled_from(["", "\ufeff", "\ufeff\ufeff"]),
    st.lists(st.builds(str.__add__, terminated_lines, line_ends), max_size=8),
    terminated_lines,
    values,
)
token_soup = st.lists(
    st.sampled_from(
        [
            *(b"\r", b"\n", b"\r\n", b":", b" ", b"data", b"data:", b"id", b"event", b"retry"),
            *(b"\n\n", b"\r\r", b"7", b"\0", b"x"),
            *(b"\xef\xbb\xbf", b"\xe2\x80\xa8", b"\xc2\x85", b"\xff", b"\xe2\x82", b"\xf0\x9f"),
        ]
    ),
    max_size=60,
).map(b"".join)
with_garbage = st.builds(
    lambda stream, garbage, at: stream[:at] + garbage + stream[at:],
    structured,
    st.binary(min_size=1, max_size=8),
    st.integers(0, 400),
)
streams = st.one_of(structured, with_garbage, token_soup, st.binary(max_size=200))


def draw_chunks(data: st.DataObject, stream: bytes) -> list[bytes]:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=30), label="cuts"))
    return [stream[a:b] for a, b in pairwise([0, *cuts, len(stream)])]


@settings(max_examples=300, deadline=None, database=None)
@given(stream=streams, data=st.data())
def test_any_chunking_gives_the_whole_input_events(stream: bytes, data: st.DataObject) -> None:
    chunks = draw_chunks(data, stream)
    expected = parse([stream])
    assert parse(chunks) == expected
    assert anyio.run(aparse, chunks) == expected


@settings(max_examples=300, deadline=None, database=None)
@given(stream=streams)
def test_whole_input_parse_follows_the_spec_steps(stream: bytes) -> None:
    assert parse([stream]) == reference_parse(stream)


@settings(max_examples=200, deadline=None, database=None)
@given(stream=streams, data=st.data())
def test_each_event_is_yielded_before_the_next_chunk_is_pulled(
    stream: bytes, data: st.DataObject
) -> None:
    chunks = draw_chunks(data, stream)
    dispatched_by_prefix = [
        len(reference_parse(b"".join(chunks[:k]))) for k in range(len(chunks) + 1)
    ]
    pulled = 0

    def source() -> Iterator[bytes]:
        nonlocal pulled
        for chunk in chunks:
            pulled += 1
            yield chunk

    for index, _ in enumerate(iter_sse(source())):
        assert pulled == next(k for k, n in enumerate(dispatched_by_prefix) if n > index)


# -- max_event_size ------------------------------------------------------------------------------


def pieces(stream: bytes, size: int) -> list[bytes]:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


def test_a_line_without_its_end_is_bounded() -> None:
    stream = b"data: first\n\n" + b"data: " + b"x" * 200
    events: list[ServerSentEvent] = []
    with pytest.raises(EventTooLargeError) as caught:
        events.extend(iter_sse(pieces(stream, 10), max_event_size=100))
    assert events == [ServerSentEvent(data="first")]  # what came before is delivered
    assert isinstance(caught.value, StreamError)
    assert caught.value.max_event_size == 100
    assert str(caught.value) == (
        "an event of the stream exceeded max_event_size=100 bytes before it ended, so reading "
        "stopped; if events this large are expected, pass a larger max_event_size="
    )


@pytest.mark.anyio
async def test_aiter_sse_takes_the_bound_too() -> None:
    with pytest.raises(EventTooLargeError, match=r"max_event_size=1 KiB \(1024 bytes\)"):
        await aparse_bounded(pieces(b"data: " + b"x" * 2000, 100), 1024)


async def aparse_bounded(chunks: Sequence[bytes], limit: int | None) -> list[ServerSentEvent]:
    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return [event async for event in aiter_sse(source(), max_event_size=limit)]


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
def test_short_data_lines_add_up(chunking: str) -> None:
    """Each data line counts its characters and the line end it is joined with (4 for `abc`),
    and a line still being received counts whole, its field name too."""
    within = b"event: e\n" + b"data: abc\n" * 20 + b"\n"  # 80, and at most 9 of a line
    past = b"event: e\n" + b"data: abc\n" * 40 + b"\n"  # 160
    chunks = CHUNKINGS[chunking]
    assert parse_bounded(chunks(within, 1), 100) == [ServerSentEvent("e", "\n".join(["abc"] * 20))]
    if chunking == "whole":  # an event whole in one chunk is in memory already: not measured
        assert len(parse_bounded(chunks(past, 1), 100)) == 1
    else:
        with pytest.raises(EventTooLargeError):
            parse_bounded(chunks(past, 1), 100)


def parse_bounded(chunks: Sequence[bytes], limit: int | None) -> list[ServerSentEvent]:
    return list(iter_sse(iter(chunks), max_event_size=limit))


def test_the_parser_lets_go_of_the_event_when_it_raises() -> None:
    decoder = SSEDecoder(max_event_size=50)
    decoder.feed(b"data: a\ndata: b\n")
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"data: " + b"x" * 60)
    assert (decoder._pending, decoder._data) == ([], [])


def test_public_parsers_are_bounded_at_16_mib_unless_given_none() -> None:
    mib = b"x" * (1024 * 1024)
    with pytest.raises(EventTooLargeError, match=r"max_event_size=16 MiB \(16777216 bytes\)"):
        parse([b"data: ", *[mib] * 17])
    assert parse_bounded([b"data: ", *[mib] * 17, b"\n\n"], None) == [
        ServerSentEvent(data="x" * 17 * 1024 * 1024)
    ]


@pytest.mark.parametrize("limit", [0, -1])
def test_a_bound_must_be_positive(limit: int) -> None:
    with pytest.raises(ValueError, match="max_event_size must be a positive number of bytes"):
        parse_bounded([b"data: a\n\n"], limit)


@settings(max_examples=300, deadline=None, database=None)
@given(stream=streams, data=st.data())
def test_a_bound_never_changes_the_events_it_lets_through(
    stream: bytes, data: st.DataObject
) -> None:
    """Bounded, any chunking yields a prefix of the unbounded events, all of them if it does not
    raise; a bound no smaller than the whole stream never raises."""
    chunks = draw_chunks(data, stream)
    expected = parse([stream])
    assert parse_bounded(chunks, max(len(stream), 1)) == expected
    limit = data.draw(st.integers(1, 64), label="limit")
    delivered: list[ServerSentEvent] = []
    try:
        delivered.extend(iter_sse(iter(chunks), max_event_size=limit))
    except EventTooLargeError:
        assert delivered == expected[: len(delivered)]
    else:
        assert delivered == expected
