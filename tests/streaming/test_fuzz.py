"""Fuzzing the stream machinery with hypothesis: any bytes, any chunking, any event sequence.

Each example runs under a hang guard (SIGALRM), so a parser that loops forever fails the test
instead of stalling CI. Examples are bounded to keep the suite fast; the SSE vectors and the
multipart round trips have their own properties in test_sse.py and files/test_multipart_encoding.py.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, nullcontext
from itertools import pairwise
from typing import Any

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meibel import AsyncMeibelClient, MeibelClient, MeibelError, StreamInterruptedError
from meibel.models import ChatMessageRequest
from meibel.sse import ServerSentEvent, aiter_sse, iter_sse

KEY = "sk-fuzz"
HANG_SECONDS = 10


@contextmanager
def hang_guard() -> Iterator[None]:
    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError(f"no result after {HANG_SECONDS} s: the code under test hangs")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def split(data: st.DataObject, stream: bytes) -> list[bytes]:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=20), label="cuts"))
    return [stream[a:b] for a, b in pairwise([0, *cuts, len(stream)])]


# -- the SSE parser on any bytes ------------------------------------------------------------------

sse_tokens = st.sampled_from(
    [
        b"data:",
        b"event:",
        b"id:",
        b"retry:",
        b": ",
        b"\r",
        b"\n",
        b"\r\n",
        b"\0",
        b"\xff",
        b"\xef\xbb\xbf",
    ]
)
any_bytes = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.one_of(sse_tokens, st.binary(max_size=12)), max_size=80).map(b"".join),
)


def _check_events(events: list[ServerSentEvent]) -> None:
    for event in events:
        assert isinstance(event.event, str)
        assert event.event
        assert isinstance(event.data, str)
        assert event.id is None or "\0" not in event.id
        assert event.retry is None or event.retry >= 0


@settings(max_examples=300, deadline=None, database=None)
@given(stream=any_bytes, data=st.data())
def test_sse_parser_takes_any_bytes_in_any_chunks(stream: bytes, data: st.DataObject) -> None:
    chunks = split(data, stream)
    with hang_guard():
        events = list(iter_sse(chunks))
        whole = list(iter_sse([stream]))
    _check_events(events)
    assert events == whole


@settings(max_examples=100, deadline=None, database=None)
@given(stream=any_bytes, data=st.data())
def test_async_sse_parser_takes_any_bytes_in_any_chunks(stream: bytes, data: st.DataObject) -> None:
    chunks = split(data, stream)

    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async def parse() -> list[ServerSentEvent]:
        return [event async for event in aiter_sse(source())]

    with hang_guard():
        events = asyncio.run(parse())
    assert events == list(iter_sse([stream]))


# -- the chat stream over random event sequences --------------------------------------------------


def _sse(name: str, data: Any, newline: str) -> str:
    data_line = json.dumps(data, ensure_ascii=False)  # raw UTF-8 on the wire, U+2028 included
    return f"event: {name}{newline}data: {data_line}{newline}{newline}"


def _envelope(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "disposition": "partial", "sequence": "1", "timestamp": "t", **fields}


side_events = st.sampled_from(
    [
        ("status", _envelope("status", content="Searching")),
        ("tool_call", _envelope("tool_call", tool_id="t", tool_name="search", arguments={})),
        ("tool_result", _envelope("tool_result", tool_id="t", result={"hits": 1})),
        ("heartbeat", {"unknown": "to the spec"}),  # forward compatible: passed through
        (":", None),  # a keep-alive comment
    ]
)
text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from('\u2028\r\n"\\'),
    max_size=12,
)


@st.composite
def chat_streams(draw: st.DrawFn) -> dict[str, Any]:
    """A chat as a server may send it, with what the SDK must make of it."""
    mode = draw(st.sampled_from(["cumulative", "incremental"]), label="mode")
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]), label="newline")
    # Pieces that repeat or extend the text so far included: `partials=` says how to read them.
    pieces = draw(st.lists(text | st.sampled_from(["", "ab", "abab"]), max_size=8), label="pieces")
    sources = draw(st.lists(st.fixed_dictionaries({"title": text}), max_size=2), label="sources")
    tail = draw(text, label="completion adds")  # the completion may carry text not yet streamed
    final = "".join(pieces) + tail
    body = [_sse("connected", {"signal_id": "sig"}, newline)]
    side: list[str] = []
    so_far = ""
    for piece in pieces:
        for name, data in draw(st.lists(side_events, max_size=2)):
            if name == ":":
                body.append(f": keep-alive{newline}")
            else:
                body.append(_sse(name, data, newline))
                side.append(name)
        so_far += piece
        message = so_far if mode == "cumulative" else piece
        data = _envelope("partial_response", data={"message": message, "clean_message": message})
        body.append(_sse("partial_response", data, newline))
    completion = {"message": final, "clean_message": final, "sources": sources}
    body.append(_sse("completion", _envelope("completion", data=completion), newline))
    body.append(f"data: [DONE]{newline}{newline}")
    deltas = [piece for piece in [*pieces, tail] if piece]  # one content event per piece
    return {
        "body": "".join(body).encode(),
        "mode": mode,
        "final": final,
        "deltas": deltas,
        "side": side,
        "sources": sources,
        "newline": newline,
    }


def _sync_client(chunks: list[bytes]) -> MeibelClient:
    def respond(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx2.Response(200, headers=headers, content=iter(chunks))

    http = httpx2.Client(transport=httpx2.MockTransport(respond))
    return MeibelClient(api_key=KEY, base_url="http://api.test/v2", http_client=http)


def _async_client(chunks: list[bytes]) -> AsyncMeibelClient:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def respond(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx2.Response(200, headers=headers, content=body())

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(respond))
    return AsyncMeibelClient(api_key=KEY, base_url="http://api.test/v2", http_client=http)


BODY = ChatMessageRequest(user_message="hi")


def _check_chat(chat: dict[str, Any], events: list[Any]) -> None:
    types = [event.type for event in events]
    assert types.count("done") == 1
    assert types[-1] == "done"
    assert types[0] == "connected"
    assert "".join(e.delta for e in events if e.type == "content") == chat["final"]
    assert [e.delta for e in events if e.type == "content"] == chat["deltas"]
    assert [t for t in types if t in ("status", "tool_call", "tool_result", "heartbeat")] == chat[
        "side"
    ]
    citations = [e.citations for e in events if e.type == "citations"]
    assert [[s.title for s in c] for c in citations] == (
        [[s["title"] for s in chat["sources"]]] if chat["sources"] else []
    )
    assert events[-1].response.message == chat["final"]


@settings(max_examples=150, deadline=None, database=None)
@given(chat=chat_streams(), data=st.data())
def test_chat_deltas_add_up_and_done_comes_once(chat: dict[str, Any], data: st.DataObject) -> None:
    with hang_guard(), _sync_client(split(data, chat["body"])) as client:
        stream = client.sessions.send_chat_message_stream(
            session_id="s", body=BODY, partials=chat["mode"]
        )
        with stream:
            events = list(stream)
    _check_chat(chat, events)


@settings(max_examples=60, deadline=None, database=None)
@given(chat=chat_streams(), data=st.data())
def test_async_chat_deltas_add_up_and_done_comes_once(
    chat: dict[str, Any], data: st.DataObject
) -> None:
    async def run() -> list[Any]:
        async with _async_client(split(data, chat["body"])) as client:
            stream = await client.sessions.send_chat_message_stream(
                session_id="s", body=BODY, partials=chat["mode"]
            )
            async with stream:
                return [event async for event in stream]

    with hang_guard():
        events = asyncio.run(run())
    _check_chat(chat, events)


@settings(max_examples=150, deadline=None, database=None)
@given(chat=chat_streams(), data=st.data())
def test_a_cut_chat_raises_with_exactly_the_text_delivered(
    chat: dict[str, Any], data: st.DataObject
) -> None:
    body: bytes = chat["body"]
    cut = data.draw(st.integers(0, len(body) - 1), label="cut")
    # The completion event ends with the first character of the blank line before the sentinel: a
    # lone "\r" (of a "\r\n") at the very end of the stream already ends a line (WHATWG's SSE:
    # CR, LF and CRLF each end one). Cut before it, and the reply is unfinished.
    completion_end = body.rindex(b"data: [DONE]") - len(chat["newline"]) + 1
    unfinished = cut < completion_end
    delivered: list[str] = []
    with hang_guard(), _sync_client(split(data, body[:cut])) as client:
        stream = client.sessions.send_chat_message_stream(
            session_id="s", body=BODY, partials=chat["mode"]
        )
        with pytest.raises(StreamInterruptedError) if unfinished else nullcontext() as caught:
            for event in stream:
                if event.type == "content":
                    delivered.append(event.delta)  # noqa: PERF401 (kept up to the exception)
    if unfinished:
        assert caught.value.text == "".join(delivered)
        assert chat["final"].startswith(caught.value.text)
    else:
        assert "".join(delivered) == chat["final"]  # only the sentinel was missing


def test_a_chat_cut_between_cr_and_lf_of_its_last_blank_line_is_complete() -> None:
    # Found by the property above: "\r\n\r" at the end of a stream ends the completion event.
    completion = _envelope("completion", data={"message": "hi", "clean_message": "hi"})
    body = (_sse("completion", completion, "\r\n") + "data: [DONE]\r\n\r\n").encode()
    cut = body.rindex(b"data: [DONE]") - 1
    with hang_guard(), _sync_client([body[:cut]]) as client:
        stream = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        events = list(stream)
    assert events[-1].type == "done"
    assert events[-1].response.message == "hi"


@settings(max_examples=200, deadline=None, database=None)
@given(stream=any_bytes, data=st.data())
def test_chat_stream_on_any_bytes_raises_only_sdk_errors(
    stream: bytes, data: st.DataObject
) -> None:
    with hang_guard(), _sync_client(split(data, stream)) as client:
        chat = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        try:
            events = list(chat)
        except MeibelError:
            return
    assert [event.type for event in events].count("done") == 1
