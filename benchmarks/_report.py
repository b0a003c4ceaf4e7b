"""A benchmark figure beside its peer, and the report that prints or writes them."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """`ours` and `peer` in `unit`; `higher_is_better` decides which way the ratio reads.

    `peer` is None when the peer could not be measured (a note then says why); `notes` are
    printed under the figure.
    """

    name: str
    ours: float
    peer: float | None
    peer_name: str
    unit: str
    target: str
    higher_is_better: bool = False
    notes: tuple[str, ...] = ()

    @property
    def ratio(self) -> float | None:
        """ours / peer."""
        return None if not self.peer else self.ours / self.peer


def machine() -> str:
    """CPU model, core count, Python version and OS of this machine, on one line."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{platform.system()} {platform.release()}"
    )


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _ratio(result: Result, suffix: str = "") -> str:
    return "-" if result.ratio is None else f"{result.ratio:.2f}{suffix}"


def to_text(results: list[Result]) -> str:
    """Aligned lines, one per figure, its notes indented below it."""
    lines = []
    for r in results:
        lines.append(
            f"{r.name:<44} ours {_fmt(r.ours):>10} {r.unit:<9} {r.peer_name:<24} "
            f"{_fmt(r.peer):>10}  ratio {_ratio(r, 'x'):>7}  (target: {r.target})"
        )
        lines.extend(f"    {note}" for note in r.notes)
    return "\n".join(lines)


def to_markdown(results: list[Result], machine_line: str) -> str:
    """A Markdown report: the machine, a table of the figures, then their notes."""
    rows = [
        "| benchmark | ours | peer | peer value | ratio (ours/peer) | target |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    notes: list[str] = []
    for r in results:
        rows.append(
            f"| {r.name} | {_fmt(r.ours)} {r.unit} | {r.peer_name} | {_fmt(r.peer)} {r.unit} "
            f"| {_ratio(r)} | {r.target} |"
        )
        notes.extend(f"- {r.name}: {note}" for note in r.notes)
    text = (
        "# Benchmark results\n\nProduced by `make bench` (medians of several runs, peers measured "
        f"in the same run).\n\nMachine: {machine_line}\n\n" + "\n".join(rows) + "\n"
    )
    return text + ("\n## Notes\n\n" + "\n".join(notes) + "\n" if notes else "")
