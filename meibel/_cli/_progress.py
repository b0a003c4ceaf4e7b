"""Progress on stderr: a rich bar on a terminal, plain lines elsewhere (or without rich).

rich (the `[cli]` extra) is imported only here, and only when a bar is drawn on a terminal, so
`import meibel` and commands without progress never load it. Progress goes to stderr so that
stdout carries only results (one JSON document under `--json`).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Protocol, TextIO

from ._text import shown

if TYPE_CHECKING:
    import rich.progress

__all__ = ["Progress", "Silent", "progress", "size"]

# Plain lines come at most this often (the last state is always printed on close).
LINE_INTERVAL = 1.0


def size(count: int) -> str:
    """`3.4 MiB`: a byte count for people."""
    if count < 1024:
        return f"{count} B"
    value, unit = count / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


class Progress(Protocol):
    """Where a command reports how far it got; `done`/`total` drive a bar (None: unknown)."""

    def update(self, line: str, done: float | None = None, total: float | None = None) -> None:
        """The state now: `line` as a plain line or the bar's text."""

    def close(self) -> None:
        """The work ended: print the last state (plain lines) or remove the bar."""


class Silent:
    """No progress at all."""

    def update(self, line: str, done: float | None = None, total: float | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class _Lines:
    """One line per change, at most every LINE_INTERVAL seconds; callbacks may come from threads."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._printed: str | None = None
        self._pending: str | None = None
        self._at = 0.0
        self._gone = False

    def update(self, line: str, done: float | None = None, total: float | None = None) -> None:
        with self._lock:
            self._pending = line
            now = time.monotonic()
            if line != self._printed and (self._printed is None or now - self._at >= LINE_INTERVAL):
                self._emit(line, now)

    def close(self) -> None:
        with self._lock:
            if self._pending is not None and self._pending != self._printed:
                self._emit(self._pending, time.monotonic())

    def _emit(self, line: str, now: float) -> None:
        self._printed, self._at = line, now
        if self._gone:
            return
        try:
            print(shown(line), file=self._stream, flush=True)
        except BrokenPipeError:
            # Progress is advice: a reader of stderr that left stops it, not the work (which
            # may run in threads that must not see this error).
            self._gone = True


class _Bar:
    """A transient rich bar: it disappears when the work ends, leaving the command's summary."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        self._progress: rich.progress.Progress = Progress(
            TextColumn("{task.description}", markup=False),  # filenames may hold "[...]"
            BarColumn(),
            TaskProgressColumn(),
            console=Console(file=stream),
            transient=True,
            # Results are printed once the bar is gone; nothing is to be drawn through it.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task("", total=None)
        self._progress.start()

    def update(self, line: str, done: float | None = None, total: float | None = None) -> None:
        description = shown(line)
        self._progress.update(self._task, description=description, completed=done or 0, total=total)

    def close(self) -> None:
        self._progress.stop()


def progress(stream: TextIO, *, lines: bool = True) -> Progress:
    """A bar when `stream` is a terminal and rich is installed; else plain lines (or nothing)."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        try:
            return _Bar(stream)
        except ImportError:
            pass
    return _Lines(stream) if lines else Silent()
