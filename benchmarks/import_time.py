"""`import meibel` and `from meibel import MeibelClient`: ours against the vendor's SDK.

Each figure is the median wall time of a fresh interpreter running the import, minus the median
of the same interpreter running `pass`; ours and the vendor's runs are interleaved, from /tmp.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from _report import Result
from _vendor import VENDOR_NAME, vendor_python

RUNS = 15
PROFILE_RUNS = 5
IMPORTS = ("import meibel", "from meibel import MeibelClient")
TARGET = "<= 0.5"


def _seconds(python: Path | str, code: str, *flags: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(python), *flags, "-c", code], check=True, cwd="/tmp")
    return time.perf_counter() - started


def _medians(pythons: dict[str, Path | str]) -> dict[tuple[str, str], float]:
    """Median seconds per (interpreter, code), the runs interleaved so drift hits all alike."""
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(RUNS):
        for who, python in pythons.items():
            for code in ("pass", *IMPORTS):
                samples[who, code].append(_seconds(python, code))
    return {key: statistics.median(values) for key, values in samples.items()}


def _top_cumulative(python: Path | str, code: str, count: int = 5) -> list[tuple[str, float]]:
    """The modules with the largest median cumulative `-X importtime`, in ms."""
    cumulative: dict[str, list[int]] = defaultdict(list)
    for _ in range(PROFILE_RUNS):
        profile = subprocess.run(
            [str(python), "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd="/tmp",
        )
        for line in profile.stderr.splitlines():  # "import time: self | cumulative | module"
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                cumulative[parts[2].strip()].append(int(parts[1]))
    medians = {module: statistics.median(us) / 1000 for module, us in cumulative.items()}
    return sorted(medians.items(), key=lambda item: -item[1])[:count]


def run() -> list[Result]:
    vendor = vendor_python()
    pythons: dict[str, Path | str] = {"ours": sys.executable}
    if vendor:
        pythons["vendor"] = vendor
    seconds = _medians(pythons)

    def ms(who: str, code: str) -> float | None:
        if who not in pythons:
            return None
        return (seconds[who, code] - seconds[who, "pass"]) * 1000

    empty = ", ".join(f"{who} {seconds[who, 'pass'] * 1000:.1f} ms" for who in pythons)
    results = []
    for code in IMPORTS:
        notes = []
        if code == IMPORTS[0]:
            notes.append(f"empty interpreter (subtracted): {empty}")
        else:
            top = _top_cumulative(sys.executable, code)
            listed = ", ".join(f"{module} {cum:.1f}" for module, cum in top)
            notes.append(f"ours, -X importtime top {len(top)} cumulative (ms): {listed}")
        if not vendor:
            notes.append(f"{VENDOR_NAME} not measured: its scratch venv could not be made")
        ours = ms("ours", code)
        assert ours is not None
        results.append(
            Result(
                f"`{code}`", ours, ms("vendor", code), VENDOR_NAME, "ms", TARGET, notes=tuple(notes)
            )
        )
    return results
