"""Event-stream test vectors: stream bytes and the events the WHATWG rules dispatch from them.

`wpt/...` vectors are the web-platform-tests `eventsource/` format tests: the bytes their server
scripts send and the events their assertions accept (`id` is None where the browser's `lastEventId`
is "" because no id was ever set). `spec/...` vectors are the examples in the HTML standard's
server-sent events section. The rest pin rules neither of those covers.
"""

from __future__ import annotations

from typing import NamedTuple

from meibel.sse import ServerSentEvent as E


class Vector(NamedTuple):
    name: str
    stream: bytes
    events: list[E]


def wpt_message(message: bytes, newline: bool = True) -> bytes:
    """The body `eventsource/resources/message.py` sends: message, blank line unless newline=none"""
    return message + (b"\n\n" if newline else b"") + b"\n"


# `eventsource/resources/last-event-id.py` on a first connection (no Last-Event-ID header).
def wpt_last_event_id(idvalue: bytes = "\u2026".encode()) -> bytes:
    return b"id: " + idvalue + b"\nretry: 200\ndata: hello\n\n"


LONG = b"x" * 2048

VECTORS: list[Vector] = [
    Vector(
        "wpt/format-bom",
        wpt_message(b"\xef\xbb\xbfdata:1\n\n\xef\xbb\xbfdata:2\n\ndata:3"),
        [E(data="1"), E(data="3")],
    ),
    Vector(
        "wpt/format-bom-2",
        wpt_message(b"\xef\xbb\xbf\xef\xbb\xbfdata:1\n\ndata:2\n\ndata:3"),
        [E(data="2"), E(data="3")],
    ),
    Vector(
        "wpt/format-comments",
        wpt_message(
            b"data:1\r:\0\n:\r\ndata:2\n:%s\rdata:3\n:data:fail\r:%s\ndata:4\n" % (LONG, LONG),
            newline=False,
        ),
        [E(data="1\n2\n3\n4")],
    ),
    Vector(
        "wpt/format-data-before-final-empty-line",
        wpt_message(b"retry:1000\ndata:test1\n\nid:test\ndata:test2", newline=False),
        [E(data="test1", retry=1000)],
    ),
    Vector(
        "wpt/format-field-data",
        wpt_message(b"data:\n\ndata\ndata\n\ndata:test"),
        [E(data=""), E(data="\n"), E(data="test")],
    ),
    Vector(
        "wpt/format-field-event",
        wpt_message(b"event:test\ndata:x\n\ndata:x"),
        [E(event="test", data="x"), E(data="x")],
    ),
    Vector("wpt/format-field-event-empty", wpt_message(b"event: \ndata:data"), [E(data="data")]),
    Vector("wpt/format-field-id", wpt_last_event_id(), [E(data="hello", id="\u2026", retry=200)]),
    Vector(
        "wpt/format-field-id-3/persists",
        b"id: 1\ndata: 1\n\ndata:2\n\n",
        [E(data="1", id="1"), E(data="2", id="1")],
    ),
    Vector(
        "wpt/format-field-id-3/changes-and-persists",
        b"id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n",
        [E(data="1", id="1"), E(data="2", id="2"), E(data="3", id="2")],
    ),
    Vector(
        "wpt/format-field-id-3/resets",
        b"id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
        [E(data="1", id="1"), E(data="2", id=""), E(data="3", id="")],
    ),
    Vector(
        "wpt/format-field-id-null",
        wpt_last_event_id(b"\0\0"),
        [E(data="hello", retry=200)],
    ),
    Vector(
        "wpt/format-field-parsing",
        wpt_message(
            b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\r"
            b"data:\r\n data:32\ndata:4\n",
            newline=False,
        ),
        [E(data="\0\n 2\n1\n3\n\n4")],
    ),
    Vector(
        "wpt/format-field-retry", wpt_message(b"retry:02000\ndata:x"), [E(data="x", retry=2000)]
    ),
    Vector(
        "wpt/format-field-retry-bogus",
        wpt_message(b"retry:2000\nretry:1000x\ndata:x"),
        [E(data="x", retry=2000)],
    ),
    Vector("wpt/format-field-retry-empty", wpt_message(b"retry\ndata:test"), [E(data="test")]),
    Vector(
        "wpt/format-field-unknown",
        wpt_message(
            b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test"
        ),
        [E(data="test\n\ntest")],
    ),
    Vector(
        "wpt/format-leading-space",
        wpt_message(b"data:\ttest\rdata: \ndata:test"),
        [E(data="\ttest\n\ntest")],
    ),
    Vector(
        "wpt/format-newlines",
        wpt_message(b"data:test\r\ndata\ndata:test\r\n\r", newline=False),
        [E(data="test\n\ntest")],
    ),
    Vector("wpt/format-null-character", wpt_message(b"data:\0\n\n"), [E(data="\0")]),
    Vector("wpt/format-utf-8", wpt_message(b"data:ok\xe2\x80\xa6"), [E(data="ok\u2026")]),
    Vector(
        # resources/message2.py, as its writes are recalled (the file is not at hand).
        "wpt/event-data",
        b"data:msg\ndata: msg\n\n:\nfalsefield:msg\n\nfalsefield:msg\nData:data\n\n"
        b"data\n\ndata:end\n\n",
        [E(data="msg\nmsg"), E(data=""), E(data="end")],
    ),
    Vector("spec/stock", b"data: YHOO\ndata: +2\ndata: 10\n\n", [E(data="YHOO\n+2\n10")]),
    Vector(
        "spec/four-blocks",
        b": test stream\n\ndata: first event\nid: 1\n\n"
        b"data:second event\nid\n\ndata:  third event\n\n",
        [
            E(data="first event", id="1"),
            E(data="second event", id=""),
            E(data=" third event", id=""),
        ],
    ),
    Vector("spec/empty-data", b"data\n\ndata\ndata\n\ndata:", [E(data=""), E(data="\n")]),
    Vector(
        "spec/space-after-colon", b"data:test\n\ndata: test\n\n", [E(data="test"), E(data="test")]
    ),
    Vector(
        "unicode-line-separators-are-data",
        "data: a\u2028b\u2029c\u0085d\x0be\x0cf\x1cg\x1dh\x1ei\n\n".encode(),
        [E(data="a\u2028b\u2029c\u0085d\x0be\x0cf\x1cg\x1dh\x1ei")],
    ),
    Vector(
        "multi-byte-utf-8",
        "event: \u00e9\u20ac\ndata: \U0001d11e \u4e2d\u6587 \u00e9\n\n".encode(),
        [E(event="\u00e9\u20ac", data="\U0001d11e \u4e2d\u6587 \u00e9")],
    ),
    Vector(
        "invalid-utf-8-replaced",
        b"data: a\xffb\xe2\x82c\xed\xa0\x80d\xf0\x9f\x98e\xc0\xafz\n\n",
        [E(data="a\ufffdb\ufffdc\ufffd\ufffd\ufffdd\ufffde\ufffd\ufffdz")],
    ),
    Vector("bom-alone-then-data", b"\xef\xbb\xbf\ndata: x\n\n", [E(data="x")]),
    Vector(
        "line-endings-mixed",
        b"event: a\r\ndata: 1\r\n\r\ndata: 2\rdata: 3\r\rdata: 4\n\r\ndata: 5\n\rdata: 6\r\n\n",
        [E(event="a", data="1"), E(data="2\n3"), E(data="4"), E(data="5"), E(data="6")],
    ),
    Vector("cr-then-lf-is-one-break", b"data: a\r\n\r\n", [E(data="a")]),
    Vector("lf-then-cr-is-two-breaks", b"data: a\n\rdata: b\n\n", [E(data="a"), E(data="b")]),
    Vector(
        "event-type-resets-per-block",
        b"event: a\ndata: 1\n\ndata: 2\n\nevent: ping\n\ndata: 3\n\nevent\ndata: 4\n\n",
        [E(event="a", data="1"), E(data="2"), E(data="3"), E(data="4")],
    ),
    Vector(
        "id-without-data-sets-last-id",
        b"id: 5\n\ndata: x\n\nid: 6\ndata: y\nid: 7\n\n",
        [E(data="x", id="5"), E(data="y", id="7")],
    ),
    Vector(
        "id-with-nul-ignored",
        b"id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n",
        [E(data="a", id="1"), E(data="b", id="1")],
    ),
    Vector(
        "retry-only-from-own-block",
        b"retry: 10\ndata: a\n\ndata: b\n\nretry: 20\n\ndata: c\n\n",
        [E(data="a", retry=10), E(data="b"), E(data="c")],
    ),
    Vector(
        "retry-not-ascii-digits-ignored",
        "retry:+5\ndata: a\n\nretry:  5\ndata: b\n\nretry:5 \ndata: c\n\nretry:1_0\ndata: d\n\n"
        "retry:\u0665\ndata: e\n\nretry:-1\ndata: f\n\nretry:\ndata: g\n\n"
        "retry:0x10\ndata: h\n\n".encode(),
        [E(data=c) for c in "abcdefgh"],
    ),
    Vector(
        "retry-leading-zeros",
        b"retry: " + b"0" * 5000 + b"7\ndata: a\n\n",
        [E(data="a", retry=7)],
    ),
    Vector(
        "field-value-parsing",
        b"data:  two\ndata:a:b\ndata::\n DATA: no\ndata\t: no\n\n",
        [E(data=" two\na:b\n:")],
    ),
    Vector("trailing-data-newline-removed-once", b"data: a\ndata:\n\n", [E(data="a\n")]),
    Vector("incomplete-last-line", b"data: a\n\ndata: b", [E(data="a")]),
    Vector("incomplete-last-event", b"data: a\n\ndata: b\nid: 9\n", [E(data="a")]),
    Vector("comments-only", b":\n: hi\r\n:\r\r\n", []),
    Vector("empty-stream", b"", []),
    Vector(
        "json-chat-events",
        b'event: partial_response\ndata: {"delta": "Hel"}\n\n'
        b'event: partial_response\ndata: {"delta": "lo"}\n\n'
        b": keep-alive\n\n"
        b'event: complete\ndata: {"done": true}\n\n',
        [
            E(event="partial_response", data='{"delta": "Hel"}'),
            E(event="partial_response", data='{"delta": "lo"}'),
            E(event="complete", data='{"done": true}'),
        ],
    ),
]
