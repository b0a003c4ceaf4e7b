"""Benchmarks, printed (never asserted): `make bench`; `--markdown PATH` also writes a report.

Each benchmark is a module here with `run() -> list[Result]`; add one to BENCHMARKS.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bulk_upload
import call_overhead
import chat_http
import chat_streams
import download
import folder_upload
import import_time
import sse_events
import upload
from _report import machine, to_markdown, to_text

BENCHMARKS = {
    module.__name__: module
    for module in (
        import_time,
        call_overhead,
        sse_events,
        chat_http,
        chat_streams,
        upload,
        download,
        folder_upload,
        bulk_upload,
    )
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", type=Path, help="also write the results as Markdown here")
    parser.add_argument(
        "only", nargs="*", metavar="NAME", help=f"run only these of: {', '.join(BENCHMARKS)}"
    )
    args = parser.parse_args()
    if unknown := set(args.only) - BENCHMARKS.keys():
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    machine_line = machine()
    print(f"machine: {machine_line}", flush=True)
    results = []
    for name in args.only or BENCHMARKS:
        started = time.perf_counter()
        found = BENCHMARKS[name].run()
        print(f"\n[{name}: {time.perf_counter() - started:.0f} s]\n{to_text(found)}", flush=True)
        results.extend(found)
    if args.markdown:
        args.markdown.write_text(to_markdown(results, machine_line), encoding="utf-8")
        print(f"\nwrote {args.markdown}")


if __name__ == "__main__":
    main()
