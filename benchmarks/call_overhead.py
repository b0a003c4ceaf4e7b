"""Per-call time of `get_session` against raw httpx2 on loopback, ours and the vendor's.

The server is a fast asyncio process. Each SDK runs in its own interpreter (the vendor's shares
our import name), timed against raw httpx2 in that same process: warm-up, then rounds alternating
raw and SDK calls; each process reports the medians of its rounds' µs per call.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from _measure import run_script
from _report import Result
from _servers import session_server
from _vendor import VENDOR_NAME, vendor_python

CALLS = 1000
WARMUP = 200
ROUNDS = 5
PROCESSES = 5  # per SDK

SCRIPT = """
import json, statistics, sys, time
try:
    import httpx2 as http  # our venv: the raw peer is httpx2, what MeibelClient runs on
except ImportError:
    import httpx as http  # the vendor SDK's venv: its own HTTP client
from meibel import MeibelClient

url, calls, warmup, rounds, sdk_name = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
raw = http.Client()
client = MeibelClient(api_key="k", base_url=url + "/v2")
get = getattr(client.sessions, sdk_name)


def raw_call():
    return raw.get(url + "/v2/sessions/s1", headers={"Meibel-API-Key": "k"}).json()


def sdk_call():
    return get(session_id="s1")


def per_call_us(fn):
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6


assert raw_call()["status"] == "running" and sdk_call().status == "running"
for fn in (raw_call, sdk_call):
    for _ in range(warmup):
        fn()
samples = {"raw": [], "sdk": []}
for _ in range(rounds):
    samples["raw"].append(per_call_us(raw_call))
    samples["sdk"].append(per_call_us(sdk_call))
print(json.dumps({name: statistics.median(values) for name, values in samples.items()}))
"""


def _measure(python: Path | str, url: str, method: str) -> dict[str, float]:
    args = (url, str(CALLS), str(WARMUP), str(ROUNDS), method)
    result: dict[str, float] = run_script(python, SCRIPT, *args)
    return result


def _overhead(sdk: float, raw: float) -> str:
    return f"overhead over raw httpx2: {sdk - raw:+.0f} µs/call ({(sdk / raw - 1) * 100:+.1f}%)"


def _factor(runs: list[dict[str, float]]) -> float:
    """Median over processes of SDK time / raw httpx2 time in the same process."""
    return statistics.median(run["sdk"] / run["raw"] for run in runs)


def run() -> list[Result]:
    vendor = vendor_python()
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    skipped = None if vendor else "its scratch venv could not be made"
    with session_server() as url:
        # Processes alternate so that a slow spell of the machine hits both SDKs alike.
        for _ in range(PROCESSES):
            ours.append(_measure(sys.executable, url, "get_session"))
            if vendor and skipped is None:
                try:
                    theirs.append(_measure(vendor, url, "get"))
                except RuntimeError as error:
                    skipped = f"its run failed: {str(error).strip().splitlines()[-1]}"
    our_raw = statistics.median(run["raw"] for run in ours)
    our_factor = _factor(ours)
    results = [
        Result(
            "per-call time, GET session",
            our_factor * our_raw,
            our_raw,
            "raw httpx2",
            "µs/call",
            "within 15% (<= 1.15)",
            notes=(_overhead(our_factor * our_raw, our_raw),),
        )
    ]
    ours_value = our_factor * our_raw
    theirs_value: float | None = None
    if skipped is not None or not theirs:
        vendor_notes: tuple[str, ...] = (f"{VENDOR_NAME} skipped: {skipped}",)
    else:
        # Separate processes drift by more than the SDKs differ, so each SDK is compared
        # through its ratio to raw httpx2 in its own process, at one common raw baseline.
        baseline = statistics.median(run["raw"] for run in ours + theirs)
        their_factor = _factor(theirs)
        ours_value, theirs_value = our_factor * baseline, their_factor * baseline
        vendor_notes = (
            f"{VENDOR_NAME} `client.sessions.get(session_id=...)`: "
            + _overhead(theirs_value, baseline)
            + f"; ours {_overhead(ours_value, baseline)}",
            f"each figure is the SDK's time / raw httpx2 time in its own process ({PROCESSES} "
            f"alternating processes per SDK, medians), times the common raw httpx2 median "
            f"{baseline:.0f} µs/call",
        )
    results.append(
        Result(
            "per-call time, GET session vs vendor",
            ours_value,
            theirs_value,
            VENDOR_NAME,
            "µs/call",
            "-",
            notes=vendor_notes,
        )
    )
    return results
