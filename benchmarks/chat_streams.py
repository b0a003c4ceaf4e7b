"""1,000 concurrent async chat streams through one async client: peak RSS growth and wall time.

A server process streams the same 200-event chat body (chat_http.py's, one HTTP chunk per event)
to every request. Ours opens each stream with `await client.sessions.send_chat_message_stream(...)`
on one AsyncMeibelClient and reads its ChatEvents; the vendor's `await
client.agents.sessions.send_chat_message_stream(...)` on one of its AsyncMeibelClients yields raw
SSE events, each parsed with `.json()`. Both read every event of every stream, all started at once
with asyncio.gather. The baseline RSS is taken after imports (one stream through a client of its
own, closed, loads what first use imports) and client creation; the growth is the peak (VmHWM)
above it. The measured client starts without a connection: with one idle connection at the
start, the vendor's pool (httpcore 1.0.9) hands it to every waiting request and runs the streams
a few at a time (about 14 connections, 5 s instead of 25 s, half the memory).
Each SDK runs in its own processes, alternating, so that a slow spell hits both alike; figures are
medians.
"""

from __future__ import annotations

import statistics
import sys

from _measure import run_script
from _report import Result
from _servers import chat_server
from _vendor import VENDOR_NAME, vendor_python
from chat_http import chat_events

STREAMS = 1_000
EVENTS = 200  # per stream: connected, 197 partial_response, the completion, the sentinel
ROUNDS = 5  # processes per SDK
# Ours at 0ada743, before the fixes of #21 part 6, in this benchmark (medians of 5, Intel Xeon,
# 2 cores; the vendor's in the same run: 28.0 s, 27 MiB). Wall time varies by a fifth between
# runs here: the fixes were also timed against 0ada743 in alternating rounds of one run.
BEFORE_SECONDS = 3.71
BEFORE_MIB = 65

# Each SDK's script defines `Client` and `async def one(client)` (read one stream, return its
# event count), then runs DRIVE.
DRIVE = """
import asyncio, json, sys, time

def rss_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

async def main(url, streams):
    # One stream through a client of its own, closed: what first use imports is loaded, and the
    # measured client starts with no connection, as a new one does.
    async with Client(api_key="k", base_url=url + "/v2", **OPTIONS) as warm:
        await one(warm)
    async with Client(api_key="k", base_url=url + "/v2", **OPTIONS) as client:
        baseline = rss_kib("VmRSS:")
        started = time.perf_counter()
        counts = await asyncio.gather(*(one(client) for _ in range(streams)))
        elapsed = time.perf_counter() - started
        growth = rss_kib("VmHWM:") - baseline
    return {"seconds": elapsed, "rss_growth_kib": growth, "events": sum(counts)}

print(json.dumps(asyncio.run(main(sys.argv[1], int(sys.argv[2])))))
"""

OURS = (
    """
from meibel import AsyncMeibelClient as Client
from meibel.models import ChatMessageRequest

OPTIONS = {}
BODY = ChatMessageRequest(user_message="hi")

async def one(client):
    n = 0
    stream = await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
    async with stream:
        async for event in stream:
            n += 1
    assert event.type == "done", event
    return n
"""
    + DRIVE
)

VENDOR = (
    """
from meibel import AsyncMeibelClient as Client

# Its default 30 s bounds the wait for a connection too, and its last streams wait about that.
OPTIONS = {"timeout": 600}

async def one(client):
    n = 0
    stream = await client.agents.sessions.send_chat_message_stream("s", user_message="hi")
    async with stream:
        async for event in stream:
            try:
                event.json()
            except ValueError:
                pass  # the [DONE] sentinel
            n += 1
    assert event.data == "[DONE]", event
    return n
"""
    + DRIVE
)


def _median(runs: list[dict[str, float]], key: str, scale: float = 1.0) -> float:
    return statistics.median(run[key] / scale for run in runs)


def run() -> list[Result]:
    vendor = vendor_python()
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    skipped = None if vendor else "its scratch venv could not be made"
    with chat_server(chat_events(EVENTS - 3)) as url:
        for _ in range(ROUNDS):
            ours.append(run_script(sys.executable, OURS, url, str(STREAMS)))
            if vendor and skipped is None:
                try:
                    theirs.append(run_script(vendor, VENDOR, url, str(STREAMS)))
                except RuntimeError as error:
                    skipped = f"its run failed: {str(error).strip().splitlines()[-1]}"
    peer = theirs if theirs and skipped is None else None
    setup = (
        f"{STREAMS:,} streams of {EVENTS} events at once (asyncio.gather) through one async "
        f"client, from a server process on 127.0.0.1; {ROUNDS} alternating processes per SDK, "
        "medians; RSS baseline after imports (a warm-up stream through another client) and client "
        "creation"
    )
    notes = [setup]
    if skipped is not None:
        notes.append(f"{VENDOR_NAME} skipped: {skipped}")
    seconds = _median(ours, "seconds")
    return [
        Result(
            f"{STREAMS:,} async chat streams: peak RSS growth",
            _median(ours, "rss_growth_kib", 1024),
            None if peer is None else _median(peer, "rss_growth_kib", 1024),
            VENDOR_NAME,
            "MiB",
            "<= 1.0x",
            notes=tuple(notes),
        ),
        Result(
            f"{STREAMS:,} async chat streams: wall time",
            seconds,
            None if peer is None else _median(peer, "seconds"),
            VENDOR_NAME,
            "s",
            f"<= {BEFORE_SECONDS} s (ours before)",
            notes=(
                "ours before the fixes of #21 part 6 (0ada743, this benchmark, Intel Xeon, 2 "
                f"cores): {BEFORE_SECONDS} s and {BEFORE_MIB} MiB of peak RSS growth (medians of "
                "5); in alternating rounds of one run (6 each, the vendor's between), 0ada743 "
                "against the fixes: 3.15 s / 3.13 s, 61.4 / 18.6 MiB (the vendor 24.3 s, 26.5 MiB)",
            ),
        ),
    ]
