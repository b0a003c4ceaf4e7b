"""Benchmarks, printed (never asserted): `make bench`; `--markdown PATH` also writes a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import call_overhead
import import_time
import sse_events
import upload
from _report import machine, to_markdown, to_text

BENCHMARKS = (import_time, call_overhead, sse_events, upload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", type=Path, help="also write the results as Markdown here")
    args = parser.parse_args()
    machine_line = machine()
    print(f"machine: {machine_line}")
    results = []
    for benchmark in BENCHMARKS:
        found = benchmark.run()
        print(to_text(found), flush=True)
        results.extend(found)
    if args.markdown:
        args.markdown.write_text(to_markdown(results, machine_line), encoding="utf-8")
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
