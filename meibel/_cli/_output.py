"""Where results go: lists printed as they come, files written to stdout, readers that leave.

Text goes through `shown()` (control characters escaped); JSON needs nothing more, as
json.dumps escapes them. A reader that goes away (`| head`) raises OutputClosed, which `main`
turns into a quiet exit 0.
"""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import json
import os
import textwrap
from collections.abc import Callable, Iterable
from typing import IO, TextIO, TypeVar

from ._progress import Progress, Silent, progress
from ._text import shown

__all__ = ["Output", "OutputClosed", "TerminalBytes", "jsonable", "silence", "table", "write"]

Item = TypeVar("Item")


class OutputClosed(Exception):
    """The reader of stdout (or stderr) went away, as `| head` does: stop quietly, exit 0."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__("the output was closed by its reader")
        self.stream = stream


def write(stream: TextIO, text: str, *, flush: bool = True) -> None:
    """Write to stdout or stderr; OutputClosed when its reader has gone."""
    try:
        stream.write(text)
        if flush:
            stream.flush()
    except BrokenPipeError:
        raise OutputClosed(stream) from None


def silence(stream: IO[str]) -> None:
    """Point `stream`'s file descriptor at /dev/null, so that what Python still holds for it
    (flushed at exit) raises nothing: the way the Python docs handle SIGPIPE."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's StringIO)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


class TerminalBytes:
    """Where `-o -` writes a file: its exact bytes into a pipe or a file; on a terminal, the
    text decoded (UTF-8, undecodable bytes as U+FFFD) with control characters escaped."""

    def __init__(self, stdout: TextIO) -> None:
        self._stdout = stdout
        isatty = getattr(stdout, "isatty", None)
        self.terminal = bool(isatty is not None and isatty())
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        write(stdout, "")  # the text written so far goes first

    def write(self, data: bytes, /) -> int:
        if self.terminal:
            write(self._stdout, shown(self._decoder.decode(data), lines=True), flush=False)
        else:
            try:
                self._stdout.buffer.write(data)
            except BrokenPipeError:
                raise OutputClosed(self._stdout) from None
        return len(data)

    def finish(self) -> None:
        """Write what is left (a terminal's last partial character) and flush."""
        if self.terminal:
            write(self._stdout, shown(self._decoder.decode(b"", final=True), lines=True))
            return
        try:
            self._stdout.buffer.flush()
        except BrokenPipeError:
            raise OutputClosed(self._stdout) from None


def jsonable(value: object) -> object:
    """Models as their to_dict(), dataclasses as dicts, paths as strings, recursively."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, tuple) and hasattr(value, "_asdict"):  # a NamedTuple
        return {key: jsonable(item) for key, item in value._asdict().items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, BaseException):
        return str(value)
    return value


def _aligned(rows: list[list[str]], widths: list[int]) -> tuple[str, list[int]]:
    """`rows` as lines of columns at least `widths` wide, and the widths grown to fit them."""
    text = ""
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
        text += "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
    return text, widths


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A whole table, aligned, its cells' control characters escaped."""
    cells = [headers, *([shown(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return _aligned(cells, widths)[0].splitlines()


class Output:
    """Where a command's results and progress go."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
        # `--output FORMAT` (None: the command's default), `--json` being `--output json`.
        self.format: str | None = getattr(args, "output_format", None) or (
            "json" if args.json else None
        )
        self.json: bool = self.format in ("json", "jsonl")
        self.stdout = stdout
        self.stderr = stderr

    def result(
        self, document: object, lines: Callable[[], Iterable[str]], *, to_stderr: bool = False
    ) -> None:
        """`document` as JSON under --json, else the text `lines()` gives (control characters
        escaped); on stderr with `to_stderr` (stdout carries a file)."""
        if self.format == "jsonl":
            write(self.stdout, json.dumps(jsonable(document), default=str) + "\n")
        elif self.json:
            write(self.stdout, json.dumps(jsonable(document), indent=2, default=str) + "\n")
        else:
            stream = self.stderr if to_stderr else self.stdout
            write(stream, "".join(f"{shown(line)}\n" for line in lines()))

    def rows(
        self,
        headers: list[str],
        pages: Iterable[list[Item]],
        cells: Callable[[Item], list[str]],
        *,
        empty: str,
        json_: bool | None = None,
    ) -> None:
        """A list printed page by page as the pages arrive: a table (its columns as wide as
        the header and the first page need, widened for longer values later), one JSON
        array under --json (or `json_`), or JSON lines under `--output jsonl`. Each page is
        flushed, so a reader that leaves (`| head`) stops the fetching at the next page."""
        as_json = self.json if json_ is None else json_
        widths: list[int] = []
        count = 0
        for page in pages:
            if as_json and self.format == "jsonl":
                text = "".join(json.dumps(jsonable(item), default=str) + "\n" for item in page)
            elif as_json:
                text = "".join(
                    ("[\n" if count + index == 0 else ",\n")
                    + textwrap.indent(json.dumps(jsonable(item), indent=2, default=str), "  ")
                    for index, item in enumerate(page)
                )
            else:
                rows = [[shown(cell) for cell in cells(item)] for item in page]
                if count == 0 and rows:
                    rows.insert(0, headers)
                    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
                text, widths = _aligned(rows, widths)
            count += len(page)
            write(self.stdout, text)
        if as_json and self.format == "jsonl":
            pass
        elif as_json:
            write(self.stdout, "\n]\n" if count else "[]\n")
        elif not count:
            write(self.stdout, f"{empty}\n")

    def progress(self, *, quiet: bool = False) -> Progress:
        """Where to report progress: nowhere if `quiet`."""
        if quiet:
            return Silent()
        # Under --json, plain progress lines would only be noise for a script reading stderr.
        return progress(self.stderr, lines=not self.json)
