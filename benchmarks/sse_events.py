"""Typed chat events per second from an in-memory stream: ours against the vendor's SSEIterator.

The body arrives in 64 KiB chunks (a fast network read) and in 8 KiB ones (more, smaller reads);
its completion repeats the whole reply, as a real one does. Each SDK runs in its own processes,
alternating, so that a slow spell of the machine hits both alike; figures are medians of all rounds.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from _measure import run_script
from _report import Result
from _vendor import vendor_python

EVENTS = 20_000
ROUNDS = 5
PROCESSES = 3  # per SDK and chunk size
CHUNK_SIZES = (65536, 8192)

STREAM = """
import json, time
try:
    import httpx2 as http  # our venv: the raw peer is httpx2, what MeibelClient runs on
except ImportError:
    import httpx as http  # the vendor SDK's venv: its own HTTP client

def chat_bytes(count, chunk_size):
    def event(name, data):
        return b"event: " + name + b"\\ndata: " + json.dumps(data).encode() + b"\\n\\n"
    envelope = {"type": "partial_response", "disposition": "partial", "sequence": "1",
                "timestamp": "2026-11-22T10:00:00Z"}
    parts = [event(b"connected", {"signal_id": "sig"})]
    texts = []
    for i in range(count):
        text = f"token {i} of a reply that streams " + "x" * 60
        texts.append(text)
        parts.append(event(b"partial_response",
                           {**envelope, "data": {"message": text, "clean_message": text}}))
    # The completion repeats the whole reply, as a real one does: the pieces add up to it.
    whole = "".join(texts)
    final = {**envelope, "type": "completion", "data": {"message": whole, "clean_message": whole}}
    parts.append(event(b"completion", final))
    parts.append(b"data: [DONE]\\n\\n")
    body = b"".join(parts)
    return [body[i:i + chunk_size] for i in range(0, len(body), chunk_size)]

def response(chunks):
    return http.Response(200, content=iter(chunks), request=http.Request("POST", "http://x/"))
"""

OURS = (
    STREAM
    + """
import sys
from meibel._chat import ChatStream
from meibel.models import (CompletionEvent, ConnectedEvent, PartialResponseEvent, StatusEvent,
                           ToolCallEvent, ToolResultEvent)
EVENTS = {"connected": ConnectedEvent, "status": StatusEvent, "tool_call": ToolCallEvent,
          "tool_result": ToolResultEvent, "partial_response": PartialResponseEvent,
          "completion": CompletionEvent}
count, rounds, chunk_size = map(int, sys.argv[1:4])
chunks = chat_bytes(count, chunk_size)
rates = []
for _ in range(rounds):
    started = time.perf_counter()
    stream = ChatStream(
        response(chunks), events=EVENTS, default=None, sentinel="[DONE]", client=None
    )
    n = sum(1 for event in stream)
    rates.append(n / (time.perf_counter() - started))
print(json.dumps(rates))
"""
)

VENDOR = (
    STREAM
    + """
import sys
from meibel._streaming import SSEIterator
count, rounds, chunk_size = map(int, sys.argv[1:4])
chunks = chat_bytes(count, chunk_size)
rates = []
for _ in range(rounds):
    started = time.perf_counter()
    n = 0
    for event in SSEIterator(response(chunks)):
        try:
            event.json()
        except ValueError:
            pass
        n += 1
    rates.append(n / (time.perf_counter() - started))
print(json.dumps(rates))
"""
)


def _result(chunk_size: int, vendor: Path | None) -> Result:
    args = (str(EVENTS), str(ROUNDS), str(chunk_size))
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(PROCESSES):
        ours += run_script(sys.executable, OURS, *args)
        if vendor:
            theirs += run_script(vendor, VENDOR, *args)
    return Result(
        f"chat events/s (typed) vs SSEIterator+.json(), {chunk_size // 1024} KiB chunks",
        statistics.median(ours),
        statistics.median(theirs) if theirs else None,
        "meibel==2.0.7",
        "events/s",
        ">= 1.5x",
        higher_is_better=True,
        notes=() if vendor else ("meibel==2.0.7 skipped: its scratch venv could not be made",),
    )


def run() -> list[Result]:
    vendor = vendor_python()
    return [_result(chunk_size, vendor) for chunk_size in CHUNK_SIZES]
