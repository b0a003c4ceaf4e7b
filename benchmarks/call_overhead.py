"""Per-call overhead of MeibelClient against raw httpx, on loopback."""

from __future__ import annotations

import statistics
import sys

from _measure import run_script
from _report import Result
from _servers import loopback_server

CALLS = 1500
ROUNDS = 5

SCRIPT = """
import json, sys, time
import httpx
from meibel import MeibelClient

url, calls, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
raw = httpx.Client()
ours = MeibelClient(api_key="k", base_url=url + "/v2")

def raw_call():
    raw.get(url + "/v2/sessions/s1", headers={"Meibel-API-Key": "k"}).json()

def our_call():
    ours.sessions.get_session(session_id="s1")

def per_call(fn):
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6

for fn in (raw_call, our_call):
    for _ in range(200):
        fn()
samples = {"raw": [], "ours": []}
for _ in range(rounds):
    samples["raw"].append(per_call(raw_call))
    samples["ours"].append(per_call(our_call))
print(json.dumps(samples))
"""


def run() -> list[Result]:
    with loopback_server() as url:
        samples = run_script(sys.executable, SCRIPT, url, str(CALLS), str(ROUNDS))
    raw, ours = statistics.median(samples["raw"]), statistics.median(samples["ours"])
    return [Result("per-call time, GET session", ours, raw, "raw httpx", "µs/call", "<= 1.15x")]
