"""Benchmarks, printed (never asserted): run with `make bench`."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def import_seconds(statement: str, runs: int = 15) -> float:
    """Median wall time of a fresh interpreter running `statement`, minus an empty interpreter."""

    def median(code: str) -> float:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    return median(statement) - median("pass")


def main() -> None:
    print(f"python {sys.version.split()[0]}")
    for statement in ("import meibel", "import meibel_api_v2.models", "import meibel_api_v2.api"):
        print(f"{statement:<32} {import_seconds(statement) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
