"""The table of docs/cli.md that lists every generated command, by tag, from the plans.

`make regen` rewrites the lines between BEGIN and END in a fresh interpreter whose path starts
with the generated package just written, so the table is the command line that package builds
(meibel/_cli/_parser.py): the name each command is registered under, after the task commands
that keep theirs. tests/cli/test_cli_operations.py fails on a stale table.

Usage: python -m scripts.cli_commands [PAGE]   (default docs/cli.md)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"
BEGIN = "<!-- commands: written by `make regen` (scripts/cli_commands.py) -->"
END = "<!-- end of commands -->"


def table() -> list[str]:
    """`| tag | commands |` rows: each tag's commands under the names they are registered by."""
    from meibel._cli._operations import operations
    from meibel._cli._parser import build_parser

    groups = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    rows: dict[str, list[str]] = {}
    for operation in operations():
        commands = groups[operation.tag]._subparsers._group_actions[0].choices
        name = next(
            name
            for name, parser in commands.items()
            if getattr(parser.get_default("operation"), "plan", None) == operation.plan
        )
        rows.setdefault(operation.tag, []).append(name)
    lines = ["| tag | commands |", "| --- | --- |"]
    lines += [f"| `{tag}` | {', '.join(sorted(names))} |" for tag, names in sorted(rows.items())]
    return lines


def render(page: str) -> str:
    """`page` with the lines between BEGIN and END replaced by the table."""
    head, found, rest = page.partition(BEGIN + "\n")
    if not found or END not in rest:
        raise SystemExit(f"cli_commands: docs/cli.md has no {BEGIN!r} ... {END!r} section")
    return head + BEGIN + "\n" + "\n".join(table()) + "\n" + END + rest.split(END, 1)[1]


def write(page: Path = PAGE) -> None:
    if page.exists():  # a copy of the project without docs/ (tests) has no page to keep
        page.write_text(render(page.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else PAGE)
