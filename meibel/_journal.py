"""The journal of a folder upload: which files the server has stored, so a rerun sends the rest.

`upload_folder(..., journal=PATH)` appends one JSON line per file the moment its upload
succeeds: the datasource, the file's name in the folder, its size, mtime and SHA-256, and the
server's answer. A line is written and flushed whole before the next one (under a lock), so a
process killed at any point (kill -9 included) leaves every completed file recorded; at worst the
last line is torn, and it is cut off when the journal is opened again.

Before each upload a line says the file is being sent (`"sending": true`). A file whose last line
is that one was in flight when a run died (or failed after its request may have reached the
server): the next run asks the server whether it stored it before sending it again
(meibel/_reconcile.py).

A rerun with the same journal skips a file recorded for the same datasource with the same size
and mtime, or with the same size and content (its SHA-256, read again only when the mtime
moved). Any other file, new or changed, is uploaded, and recorded in turn.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ._folder_walk import FailedFile, SkippedFile, _Found, _Source, total_of

if TYPE_CHECKING:
    from collections.abc import Generator

__all__ = ["ALREADY_UPLOADED", "Journal", "JournalError", "JournaledFolder", "default_path"]

ALREADY_UPLOADED = "already uploaded (journal)"
_VERSION = 1


class JournalError(ValueError):
    """A journal file that is not one (a line that is no record, other than a torn last one)."""


class Journal:
    """The files a datasource holds from earlier runs, and the appender of this run's."""

    def __init__(self, path: str | os.PathLike[str], datasource_id: str) -> None:
        self.path = Path(path)
        self.datasource_id = datasource_id
        # name: (size, mtime_ns, sha256): only what `stored` compares, not the server's answer
        self._stored: dict[str, tuple[int | None, int | None, str | None]] = {}
        self._sending: dict[
            str, int | None
        ] = {}  # name: size, of files whose last line is "sending"
        self._lock = threading.Lock()
        if self._read():  # a last line cut short by a kill: cut it off, so appends start a line
            with self.path.open("rb+") as file:
                file.truncate(file.read().rfind(b"\n") + 1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = self.path.open("a", encoding="utf-8")

    def _read(self) -> bool:
        """Load the records of this datasource; True when the file does not end a line."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        lines = text.split("\n")
        torn = bool(text) and not text.endswith("\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if record.get("v") != _VERSION:
                    raise ValueError(f"version {record.get('v')!r}")
                name, size = str(record["name"]), _size(record["size"])
                key = (str(record["datasource_id"]), name)
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                if torn and number == len(lines):  # the last line, cut short by a kill
                    return True
                raise JournalError(
                    f"{self.path}:{number}: not a journal record ({error})"
                ) from None
            if key[0] != self.datasource_id or (size is not None and size < 0):
                continue
            if record.get("sending"):
                self._sending[name] = size
            else:
                self._stored[name] = _identity(record)
                self._sending.pop(name, None)
        return torn

    def __len__(self) -> int:
        return len(self._stored)

    def stored(self, found: _Found) -> bool:
        """Whether `found` is on the server already, as an earlier run recorded it."""
        record = self._stored.get(found.name)
        if record is None or record[0] != found.size:
            return False
        if found.mtime_ns is not None and record[1] == found.mtime_ns:
            return True
        try:
            return record[2] == found.sha256()
        except OSError:  # unreadable now: let the upload say why
            return False

    def maybe_sent(self, found: _Found) -> bool:
        """Whether an earlier run began sending `found` (this size) and recorded no outcome."""
        return self._sending.get(found.name) == found.size

    def sending(self, found: _Found) -> None:
        """Note that `found` is about to be sent."""
        line = json.dumps(
            {
                "v": _VERSION,
                "datasource_id": self.datasource_id,
                "name": found.name,
                "size": found.size,
                "sending": True,
            },
            separators=(",", ":"),
        )
        self._append(line)

    def record(self, found: _Found, answer: Any) -> None:
        """Append `found`, now stored (`answer`: the server's, a model or a dict)."""
        to_dict = getattr(answer, "to_dict", None)
        line = json.dumps(
            {
                "v": _VERSION,
                "datasource_id": self.datasource_id,
                "name": found.name,
                "size": found.size,
                "mtime_ns": found.mtime_ns,
                "sha256": found.sha256(),
                "answer": to_dict() if callable(to_dict) else answer,
            },
            separators=(",", ":"),
            default=str,
        )
        self._append(line)
        self._stored[found.name] = _identity(json.loads(line))
        self._sending.pop(found.name, None)

    def _append(self, line: str) -> None:
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()  # in the OS's hands: a killed process loses nothing written

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()


def _size(value: Any) -> int | None:
    return None if value is None else int(value)


def _identity(record: dict[str, Any]) -> tuple[int | None, int | None, str | None]:
    mtime, sha256 = record.get("mtime_ns"), record.get("sha256")
    return (
        _size(record["size"]),
        mtime if isinstance(mtime, int) else None,
        sha256 if isinstance(sha256, str) else None,
    )


class JournaledFolder:
    """A walk (of a folder, or any source) without the files the journal has stored: those are
    SkippedFile."""

    __slots__ = ("journal", "source")

    def __init__(self, source: _Source, journal: Journal) -> None:
        self.source = source
        self.journal = journal

    def total(self) -> int:
        """The size of every file to upload (a first walk)."""
        return total_of(self.walk())

    def walk(self) -> Generator[_Found | SkippedFile | FailedFile, None, None]:
        for item in self.source.walk():
            if isinstance(item, _Found) and self.journal.stored(item):
                yield SkippedFile(item.path, ALREADY_UPLOADED)
            else:
                yield item


def default_path(datasource_id: str, folder: Path | str) -> Path:
    """Where `meibel upload --resume` keeps the journal of `folder` (a URL: as written) into
    `datasource_id`."""
    home = os.path.expanduser("~")
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(home, ".local", "state")
    where = folder if isinstance(folder, str) else folder.resolve()
    digest = hashlib.sha256(os.fsencode(where)).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in datasource_id)
    return Path(base) / "meibel" / "uploads" / f"{safe}-{digest}.jsonl"
