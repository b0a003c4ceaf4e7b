"""Typed chat events per second from an in-memory stream: ours against the vendor's SSEIterator."""

from __future__ import annotations

import statistics
import sys

from _measure import run_script
from _report import Result
from _vendor import vendor_python

EVENTS = 20_000
ROUNDS = 5

STREAM = """
import json, time
try:
    import httpx2 as http  # our venv: the raw peer is httpx2, what MeibelClient runs on
except ImportError:
    import httpx as http  # the vendor SDK's venv: its own HTTP client

def chat_bytes(count):
    def event(name, data):
        return b"event: " + name + b"\\ndata: " + json.dumps(data).encode() + b"\\n\\n"
    envelope = {"type": "partial_response", "disposition": "partial", "sequence": "1",
                "timestamp": "2026-11-22T10:00:00Z"}
    parts = [event(b"connected", {"signal_id": "sig"})]
    for i in range(count):
        text = f"token {i} of a reply that streams " + "x" * 60
        parts.append(event(b"partial_response",
                           {**envelope, "data": {"message": text, "clean_message": text}}))
    final = {**envelope, "type": "completion", "data": {"message": "done", "clean_message": "done"}}
    parts.append(event(b"completion", final))
    parts.append(b"data: [DONE]\\n\\n")
    body = b"".join(parts)
    return [body[i:i + 65536] for i in range(0, len(body), 65536)]

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
count, rounds = int(sys.argv[1]), int(sys.argv[2])
chunks = chat_bytes(count)
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
count, rounds = int(sys.argv[1]), int(sys.argv[2])
chunks = chat_bytes(count)
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


def run() -> list[Result]:
    ours = statistics.median(run_script(sys.executable, OURS, str(EVENTS), str(ROUNDS)))
    vendor = vendor_python()
    peer = (
        statistics.median(run_script(vendor, VENDOR, str(EVENTS), str(ROUNDS))) if vendor else None
    )
    return [
        Result(
            "chat events/s (typed) vs SSEIterator+.json()",
            ours,
            peer,
            "meibel==2.0.7",
            "events/s",
            ">= 1.5x",
            higher_is_better=True,
        )
    ]
