"""What a folder upload works on: the walk of the folder, and what it reports about each file.

The walk (`_Folder`) is lazy: os.scandir, one directory open at a time. It yields the files to
upload, named by their path relative to the folder, and what it skips or cannot read: hidden
files and directories (a name starting with a dot; the directory is not entered) unless
`include_hidden=True`, symbolic links (never followed: a link could point outside the folder,
or loop; a dangling link or a loop is skipped the same way), and what is not a regular file
(sockets, FIFOs, devices). Files not matching `pattern` are left out silently.

The report of a run (UploadReport, its records) and of an interrupted one (UploadInterrupted),
and progress summed over every file, are here too: meibel/_folder_runs.py fills them. A file to
upload (`_Found`) is the local file at its path, or any `_Content` (meibel/_upload_sources.py:
bytes, a file object, an fsspec file); the runner and the journal read it through its methods.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import chain
from operator import itemgetter
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    from ._download import ProgressCallback
    from ._generated import TriggerIngestResponse, UploadContentResponse
    from ._multipart import FileInput

__all__ = [
    "FailedFile",
    "InFlightFile",
    "SkippedFile",
    "UploadInterrupted",
    "UploadKeyboardInterrupt",
    "UploadReport",
    "UploadedFile",
]

HIDDEN = "hidden"
HIDDEN_DIRECTORY = "hidden directory"
SYMLINK = "symlink"
NOT_A_FILE = "not a regular file"
# The async walk reads this many directory entries per worker-thread hop.
_WALK_BATCH = 64
_HASH_CHUNK = 1 << 20


# `path` in each record: a Path for a file on the local disk, else a PurePath of the name (a
# pair, bytes, a file object) or of the file's path on its fsspec filesystem.


class UploadedFile(NamedTuple):
    path: PurePath
    response: UploadContentResponse


class SkippedFile(NamedTuple):
    path: PurePath
    reason: str


class FailedFile(NamedTuple):
    path: PurePath
    error: Exception


class InFlightFile(NamedTuple):
    """A file whose upload was under way when the folder upload was interrupted.

    `request_sent`: its request had been sent in full, so the server may have stored the file;
    False: it was not (or only in part), so the server did not get the whole file.
    """

    path: PurePath
    request_sent: bool


_Record = TypeVar("_Record", UploadedFile, SkippedFile, FailedFile, InFlightFile)


def _by_path(records: Iterable[_Record]) -> tuple[_Record, ...]:
    return tuple(sorted(records, key=itemgetter(0)))


@dataclass(frozen=True, slots=True, repr=False)
class UploadReport:
    """What `upload_folder` or `upload_files` did, each list sorted by path.

    `uploaded`: (path, the server's UploadContentResponse); `skipped`: (path, reason);
    `failed`: (path, the exception: an APIStatusError, APIConnectionError, OSError...).
    `ingest` is the TriggerIngestResponse when `trigger_ingest=True` triggered one, and
    `ingest_error` the exception when that call failed. After an interrupt (UploadInterrupted),
    `in_flight` lists the uploads under way, (path, request_sent), and `not_started` the files
    never started. `UploadReport.merge(*reports)` joins the reports of several runs (shards).
    """

    uploaded: tuple[UploadedFile, ...]
    skipped: tuple[SkippedFile, ...]
    failed: tuple[FailedFile, ...]
    ingest: TriggerIngestResponse | None = None
    ingest_error: Exception | None = None
    in_flight: tuple[InFlightFile, ...] = ()
    not_started: tuple[PurePath, ...] = ()

    @classmethod
    def merge(cls, *reports: UploadReport) -> UploadReport:
        """One report of several runs (the shards of one upload): each list joined and sorted by
        path, as one run's; `ingest` and `ingest_error` are those of the last report with one."""
        ingest = next((r.ingest for r in reversed(reports) if r.ingest is not None), None)
        error = next((r.ingest_error for r in reversed(reports) if r.ingest_error), None)
        return cls(
            _by_path(chain.from_iterable(report.uploaded for report in reports)),
            _by_path(chain.from_iterable(report.skipped for report in reports)),
            _by_path(chain.from_iterable(report.failed for report in reports)),
            ingest,
            error,
            in_flight=_by_path(chain.from_iterable(report.in_flight for report in reports)),
            not_started=tuple(sorted(chain.from_iterable(r.not_started for r in reports))),
        )

    @property
    def ok(self) -> bool:
        """Every file uploaded: none failed, none cut short, and the ingest trigger did not fail."""
        return not (self.failed or self.in_flight or self.not_started or self.ingest_error)

    def summary(self) -> str:
        """One line: "3 uploaded, 1 skipped, 2 in flight (1 sent in full: ...), 5 not started"."""
        parts = [f"{len(self.uploaded)} uploaded"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.in_flight:
            sent = sum(file.request_sent for file in self.in_flight)
            parts.append(
                f"{len(self.in_flight)} in flight ({sent} sent in full: the server may have "
                f"stored {'it' if sent == 1 else 'them'})"
                if sent
                else f"{len(self.in_flight)} in flight (none sent in full)"
            )
        if self.not_started:
            parts.append(f"{len(self.not_started)} not started")
        return ", ".join(parts)

    def __repr__(self) -> str:
        ingest = "" if self.ingest is None and self.ingest_error is None else " ingest=..."
        cut = (
            f" in_flight={len(self.in_flight)} not_started={len(self.not_started)}"
            if self.in_flight or self.not_started
            else ""
        )
        return (
            f"<UploadReport uploaded={len(self.uploaded)} skipped={len(self.skipped)} "
            f"failed={len(self.failed)}{cut}{ingest}>"
        )


def digest_of(file: IO[bytes], algorithm: str = "sha256") -> str:
    """The digest (hex; SHA-256 unless told) of what is left to read of `file`, read in bounded
    chunks."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    while chunk := file.read(_HASH_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class _Content(Protocol):
    """Where a file to upload is read from, when it is not the local file at its path."""

    def part(self, name: str) -> FileInput:
        """The `files=` entry of one upload: the content, sent as `name`."""
        ...

    def digest(self, algorithm: str) -> str:
        """Its digest (hex) by `algorithm`: a SHA-256 known from sending it, or read again."""
        ...


class _Found(NamedTuple):
    """A file to upload: `path` names it in the report and `name` is the filename sent (in a
    folder, its path relative to the folder, with "/"). `size` and `mtime_ns` are None when not
    known. `content`: where it is read from, if not the local file at `path`."""

    path: PurePath
    name: str
    size: int | None
    mtime_ns: int | None = None
    content: _Content | None = None

    def part(self) -> FileInput:
        """What its upload sends (an entry of `files=`)."""
        if self.content is None:
            return (self.name, os.fspath(self.path))
        return self.content.part(self.name)

    def sha256(self) -> str:
        """The SHA-256 of its content (hex); may read it."""
        return self.digest("sha256")

    def digest(self, algorithm: str) -> str:
        """The digest of its content (hex) by `algorithm` ("sha256", "md5"); may read it."""
        if self.content is None:
            with open(self.path, "rb") as file:
                return digest_of(file, algorithm)
        return self.content.digest(algorithm)


class _Source(Protocol):
    """What an upload runs through: a walk yielding the files to upload and what is left out.

    A walk may be taken again, after an interrupt, to list what was not started: a folder is
    walked afresh, an iterable of files goes on from where it was.
    """

    def walk(self) -> Generator[_Found | SkippedFile | FailedFile, None, None]: ...


def _segments(pattern: str) -> tuple[str, ...]:
    parts = [part for part in pattern.replace(os.sep, "/").split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"pattern must be a glob relative to the folder, not {pattern!r}")
    segments: list[str] = []
    for part in parts:
        if not (part == "**" and segments and segments[-1] == "**"):  # "**/**" is "**"
            segments.append(part)
    return tuple(segments)


def _matches(segments: Sequence[str], parts: Sequence[str]) -> bool:
    """Whether path components `parts` match glob `segments` ("**" spans any number of them)."""
    if not segments:
        return not parts
    head, rest = segments[0], segments[1:]
    if head == "**":
        return any(_matches(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _matches(rest, parts[1:])


class _Folder:
    """The files of a folder to upload, found by walking it (as often as asked)."""

    __slots__ = ("include_hidden", "path", "segments")

    def __init__(self, folder: str | os.PathLike[str], pattern: str, include_hidden: bool) -> None:
        self.path = Path(folder)
        self.segments = _segments(pattern)
        self.include_hidden = include_hidden

    def walk(self) -> Generator[_Found | SkippedFile | FailedFile, None, None]:
        pending = [(self.path, "")]
        while pending:
            directory, prefix = pending.pop()
            try:
                entries = os.scandir(directory)
            except OSError as error:
                if not prefix:
                    raise  # the folder itself: missing, or not a directory
                yield FailedFile(directory, error)
                continue
            with entries:
                for entry in entries:
                    try:
                        yield from self._entry(entry, directory, prefix, pending)
                    except OSError as error:
                        yield FailedFile(directory / entry.name, error)

    def _entry(
        self,
        entry: os.DirEntry[str],
        directory: Path,
        prefix: str,
        pending: list[tuple[Path, str]],
    ) -> Iterator[_Found | SkippedFile]:
        path = directory / entry.name
        name = prefix + entry.name
        hidden = entry.name.startswith(".") and not self.include_hidden
        if entry.is_symlink():
            try:
                to_directory = entry.is_dir()
            except OSError:  # a loop (ELOOP), or a target that cannot be read
                to_directory = False
            if to_directory or _matches(self.segments, name.split("/")):
                yield SkippedFile(path, SYMLINK)
        elif entry.is_dir(follow_symlinks=False):
            if hidden:
                yield SkippedFile(path, HIDDEN_DIRECTORY)
            else:
                pending.append((path, name + "/"))
        elif not _matches(self.segments, name.split("/")):
            return
        elif hidden:
            yield SkippedFile(path, HIDDEN)
        elif not entry.is_file(follow_symlinks=False):
            yield SkippedFile(path, NOT_A_FILE)
        else:
            stat = entry.stat(follow_symlinks=False)
            yield _Found(path, name, stat.st_size, stat.st_mtime_ns)

    def total(self) -> int:
        """The size of every file to upload: a first walk, which only stats."""
        return total_of(self.walk())


def total_of(walk: Iterable[_Found | SkippedFile | FailedFile]) -> int:
    """The size of every file a walk yields (a file of unknown size counts 0)."""
    return sum(item.size or 0 for item in walk if isinstance(item, _Found))


def take(items: Iterator[_Found | SkippedFile | FailedFile], into: deque[Any], count: int) -> bool:
    """Move up to `count` items of the walk `into` a queue (kept if the caller is cancelled)."""
    for _, item in zip(range(count), items, strict=False):
        into.append(item)
    return bool(into)


class _Progress:
    """The bytes sent of every file, summed; calls `callback` one at a time (from any thread).

    Counted per file up to the most it reached, so a body sent again adds nothing until it
    gets further: `done_bytes` never goes back. `total` is None when not known up front.
    """

    __slots__ = ("_callback", "_lock", "done", "total")

    def __init__(self, callback: ProgressCallback | None, total: int | None) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self.done = 0
        self.total = total
        if callback is not None:
            callback(0, total, None)

    def of_file(self) -> ProgressCallback | None:
        """The callback for one file's multipart body."""
        callback = self._callback
        if callback is None:
            return None
        reached = 0

        def advance(done: int, _total: int | None, name: str | None) -> None:
            nonlocal reached
            with self._lock:
                if done > reached:
                    self.done += done - reached
                    reached = done
                    callback(self.done, self.total, name)

        return advance


class UploadInterrupted(BaseException):
    """A folder upload was interrupted (Ctrl-C, a cancelled task); `report` is its UploadReport.

    What was uploaded, what failed, what was in flight (with whether each request had been sent
    in full) and what was never started. A BaseException, never swallowed by `except Exception`.
    On Ctrl-C (a KeyboardInterrupt) it is what is raised, as a KeyboardInterrupt too. Any other
    interruption, a task's cancellation above all, is re-raised itself with this as its
    `__cause__`, so cancel scopes work as ever. `UploadInterrupted.find(error)` finds it either way.
    """

    def __init__(self, message: str, *, report: UploadReport) -> None:
        super().__init__(message)
        self.report = report

    @classmethod
    def find(cls, error: BaseException | None) -> UploadInterrupted | None:
        """The UploadInterrupted that `error` is, or that caused it (through its chain)."""
        seen: set[int] = set()
        while error is not None and id(error) not in seen:
            if isinstance(error, cls):
                return error
            seen.add(id(error))
            error = error.__cause__ or error.__context__
        return None


class UploadKeyboardInterrupt(UploadInterrupted, KeyboardInterrupt):
    """What the sync client raises on Ctrl-C in a folder upload: both exceptions at once."""
