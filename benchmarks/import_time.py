"""`import meibel` and `from meibel import MeibelClient`: ours against the vendor's SDK."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from _report import Result
from _vendor import vendor_python

RUNS = 15


def _median_seconds(python: Path | str, code: str) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([str(python), "-c", code], check=True, cwd="/tmp")
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _import_ms(python: Path | str, code: str) -> float:
    return (_median_seconds(python, code) - _median_seconds(python, "pass")) * 1000


def run() -> list[Result]:
    vendor = vendor_python()
    results = []
    for code in ("import meibel", "from meibel import MeibelClient"):
        ours = _import_ms(sys.executable, code)
        peer = _import_ms(vendor, code) if vendor else None
        results.append(
            Result(f"`{code}`", ours, peer, "meibel==2.0.7", "ms", "<= 0.5x the vendor's")
        )
    return results
