"""Per-call time of `get_session` against raw httpx on loopback, ours and the vendor's.

The server is a fast asyncio process. Each SDK runs in its own interpreter (the vendor's shares
our import name), timed against raw httpx in that same process: warm-up, then rounds alternating
raw and SDK calls; figures are the medians of the rounds' µs per call.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _measure import run_script
from _report import Result
from _servers import session_server
from _vendor import VENDOR_NAME, vendor_python

CALLS = 2000
WARMUP = 200
ROUNDS = 5

SCRIPT = """
import json, statistics, sys, time
import httpx
from meibel import MeibelClient

url, calls, warmup, rounds, sdk_name = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
raw = httpx.Client()
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
    return f"overhead over raw httpx: {sdk - raw:+.0f} µs/call ({(sdk / raw - 1) * 100:+.1f}%)"


def run() -> list[Result]:
    vendor = vendor_python()
    with session_server() as url:
        ours = _measure(sys.executable, url, "get_session")
        try:
            theirs = _measure(vendor, url, "get") if vendor else None
            skipped = None if vendor else "its scratch venv could not be made"
        except RuntimeError as error:
            theirs, skipped = None, f"its run failed: {str(error).strip().splitlines()[-1]}"
    results = [
        Result(
            "per-call time, GET session",
            ours["sdk"],
            ours["raw"],
            "raw httpx",
            "µs/call",
            "within 15% (<= 1.15)",
            notes=(_overhead(ours["sdk"], ours["raw"]),),
        )
    ]
    vendor_notes = (
        (f"{VENDOR_NAME} skipped: {skipped}",)
        if theirs is None
        else (
            f"{VENDOR_NAME} `client.sessions.get(session_id=...)`, "
            + _overhead(theirs["sdk"], theirs["raw"])
            + f" (raw httpx {theirs['raw']:.0f} µs/call in its venv)",
        )
    )
    results.append(
        Result(
            "per-call time, GET session vs vendor",
            ours["sdk"],
            None if theirs is None else theirs["sdk"],
            VENDOR_NAME,
            "µs/call",
            "-",
            notes=vendor_notes,
        )
    )
    return results
