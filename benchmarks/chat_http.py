"""Chat stream events per second over loopback HTTP: ours against the vendor SDK's own stream.

A server process streams the same chat body to both (chunked, one HTTP chunk per event, as a
streaming server flushes them; the completion repeats the whole reply, as a real one does). Ours
yields typed ChatEvents from `MeibelClient(...).sessions.send_chat_message_stream(...)`; the
vendor's `client.agents.sessions.send_chat_message_stream(...)` yields raw SSE events, each
parsed with `.json()`. Each SDK runs in its own processes, alternating, so that a slow spell of
the machine hits both alike; figures are medians of all timed streams (after one warm-up each).
"""

from __future__ import annotations

import json
import statistics
import sys

from _measure import run_script
from _report import Result
from _servers import chat_server
from _vendor import VENDOR_NAME, vendor_python

EVENTS = 20_000
ROUNDS = 5
PROCESSES = 3  # per SDK

OURS = """
import json, sys, time
from meibel import MeibelClient
from meibel.models import ChatMessageRequest

url, rounds = sys.argv[1], int(sys.argv[2])
client = MeibelClient(api_key="k", base_url=url + "/v2")
body = ChatMessageRequest(user_message="hi")


def once():
    started = time.perf_counter()
    n = 0
    with client.sessions.send_chat_message_stream(session_id="s", body=body) as stream:
        for event in stream:
            n += 1
    assert event.type == "done", event
    return n / (time.perf_counter() - started)


once()
print(json.dumps([once() for _ in range(rounds)]))
"""

VENDOR = """
import json, sys, time
from meibel import MeibelClient

url, rounds = sys.argv[1], int(sys.argv[2])
client = MeibelClient(api_key="k", base_url=url + "/v2")


def once():
    started = time.perf_counter()
    n = 0
    for event in client.agents.sessions.send_chat_message_stream("s", user_message="hi"):
        try:
            event.json()
        except ValueError:
            pass  # the [DONE] sentinel
        n += 1
    assert event.data == "[DONE]", event
    return n / (time.perf_counter() - started)


once()
print(json.dumps([once() for _ in range(rounds)]))
"""


def chat_events(count: int) -> list[bytes]:
    """connected, `count` partial_response pieces, the completion, the sentinel: SSE bytes."""

    def event(name: str, data: object) -> bytes:
        return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

    envelope = {"disposition": "partial", "sequence": "1", "timestamp": "2026-11-22T10:00:00Z"}
    events = [event("connected", {"signal_id": "sig"})]
    texts = []
    for i in range(count):
        text = f"token {i} of a reply that streams " + "x" * 60
        texts.append(text)
        data = {"message": text, "clean_message": text}
        events.append(
            event("partial_response", {"type": "partial_response", **envelope, "data": data})
        )
    whole = "".join(texts)
    final = {"type": "completion", **envelope, "data": {"message": whole, "clean_message": whole}}
    events.append(event("completion", final))
    events.append(b"data: [DONE]\n\n")
    return events


def run() -> list[Result]:
    vendor = vendor_python()
    ours: list[float] = []
    theirs: list[float] = []
    skipped = None if vendor else "its scratch venv could not be made"
    with chat_server(chat_events(EVENTS)) as url:
        for _ in range(PROCESSES):
            ours += run_script(sys.executable, OURS, url, str(ROUNDS))
            if vendor and skipped is None:
                try:
                    theirs += run_script(vendor, VENDOR, url, str(ROUNDS))
                except RuntimeError as error:
                    skipped = f"its run failed: {str(error).strip().splitlines()[-1]}"
    notes = [
        f"{EVENTS:,} partial_response events per stream, one HTTP chunk each, from a server "
        f"process on 127.0.0.1; {PROCESSES} alternating processes per SDK, {ROUNDS} timed "
        "streams each"
    ]
    if skipped is not None:
        notes.append(f"{VENDOR_NAME} skipped: {skipped}")
    return [
        Result(
            "chat events/s over loopback HTTP (typed)",
            statistics.median(ours),
            statistics.median(theirs) if theirs and skipped is None else None,
            VENDOR_NAME,
            "events/s",
            ">= 1.0x",
            higher_is_better=True,
            notes=tuple(notes),
        )
    ]
