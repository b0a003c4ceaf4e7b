"""The files of `upload_files`: any iterable of paths, fsspec URLs and (name, file) pairs.

The iterable is taken lazily: an item is looked at (a stat, or fsspec's info for a URL) only when
the upload is ready for another file, so a generator of a million paths is never listed and the
progress total is unknown. A walk taken again (after an interrupt, to list what was not started)
goes on from where the iterable was.

What each item is sent as, and named in the report (`path`):
- a path (str or os.PathLike): the local file, under its own name (its last component), as
  `upload_file` sends it; reported as that Path. A directory is skipped ("directory").
- an fsspec URL (a str, `s3://...`; meibel/_fsspec_files.py): the remote file, under its own
  name, streamed; reported as its path on that filesystem.
- `(name, file)` or `(name, file, content_type)`: `file` a path, a URL, bytes or a binary file
  object (read from its position, never closed), sent as `name`; reported as PurePath(name).
- a binary file object with a `.name` (an open file): under the last component of that name.

Names must be unique in one call: a name (or a report path) already used makes that item a
FailedFile. With a journal, a file object that cannot seek (a pipe) fails too: it cannot be read
again to be hashed, nor its size known.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any

from ._folder_walk import _WALK_BATCH, NOT_A_FILE, FailedFile, SkippedFile, _Found, digest_of
from ._fsspec_files import DIRECTORY, is_url, local_path, remote_file

if TYPE_CHECKING:
    from ._multipart import FileInput, FileSource

__all__ = ["FileList"]


def _entry(name: str, source: FileSource, content_type: str | None) -> FileInput:
    return (name, source) if content_type is None else (name, source, content_type)


class _LocalFile:
    """A local file sent under a name of the caller's."""

    __slots__ = ("content_type", "path")

    def __init__(self, path: Path, content_type: str | None) -> None:
        self.path = path
        self.content_type = content_type

    def part(self, name: str) -> FileInput:
        return _entry(name, os.fspath(self.path), self.content_type)

    def digest(self, algorithm: str) -> str:
        with open(self.path, "rb") as file:
            return digest_of(file, algorithm)


class _Bytes:
    __slots__ = ("content_type", "data")

    def __init__(self, data: bytes, content_type: str | None) -> None:
        self.data = data
        self.content_type = content_type

    def part(self, name: str) -> FileInput:
        return _entry(name, self.data, self.content_type)

    def digest(self, algorithm: str) -> str:
        return hashlib.new(algorithm, self.data, usedforsecurity=False).hexdigest()


class _Stream:
    """The caller's binary file object, from the position it had when listed."""

    __slots__ = ("content_type", "start", "stream")

    def __init__(self, stream: IO[bytes], start: int, content_type: str | None) -> None:
        self.stream = stream
        self.start = start
        self.content_type = content_type

    def part(self, name: str) -> FileInput:
        return _entry(name, self.stream, self.content_type)

    def digest(self, algorithm: str) -> str:
        self.stream.seek(self.start)
        try:
            return digest_of(self.stream, algorithm)
        finally:
            self.stream.seek(self.start)


def _local(
    path: Path, where: PurePath, name: str | None, content_type: str | None, pair: bool
) -> _Found | SkippedFile:
    info = os.stat(path)  # follows links: the caller named this file
    if stat.S_ISDIR(info.st_mode):
        return SkippedFile(where, DIRECTORY)
    if not stat.S_ISREG(info.st_mode):
        return SkippedFile(where, NOT_A_FILE)
    content = _LocalFile(path, content_type) if pair else None
    sent = path.name if name is None else name
    return _Found(where, sent, info.st_size, info.st_mtime_ns, content)


def _stream(stream: Any, where: PurePath, name: str, content_type: str | None) -> _Found:
    if isinstance(stream, io.TextIOBase):
        raise TypeError("cannot upload a text file object: open the file in binary mode ('rb')")
    size: int | None = None
    start = 0
    try:
        if stream.seekable():
            start = stream.tell()
            size = max(stream.seek(0, os.SEEK_END) - start, 0)
            stream.seek(start)
    except (AttributeError, OSError, ValueError):
        size = None
    return _Found(where, name, size, None, _Stream(stream, start, content_type))


def _pair(item: tuple[Any, ...], where: PurePath) -> _Found | SkippedFile:
    name, file = item[0], item[1]
    content_type = item[2] if len(item) == 3 else None
    if isinstance(file, str) and is_url(file):
        return remote_file(file, where, name, content_type)
    if isinstance(file, str | os.PathLike):
        return _local(Path(local_path(os.fsdecode(file))), where, name, content_type, True)
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
        return _Found(where, name, len(data), None, _Bytes(data, content_type))
    if hasattr(file, "read"):
        return _stream(file, where, name, content_type)
    raise TypeError(f"cannot upload {type(file).__name__!r} as {name!r}: {_EXPECTED}")


_EXPECTED = "expected a path, an fsspec URL or a (name, path | URL | bytes | binary file) pair"


def _look(item: Any, where: PurePath) -> _Found | SkippedFile:
    """What `item` of the iterable is: a file to upload, or a skipped directory."""
    if isinstance(item, tuple):
        if not (len(item) in (2, 3) and all(isinstance(part, str) for part in item[::2])):
            raise TypeError("a pair is (name, file) or (name, file, content_type)")
        return _pair(item, where)
    if isinstance(item, str) and is_url(item):
        return remote_file(item)
    if isinstance(item, str | os.PathLike):
        path = Path(local_path(os.fsdecode(item)))
        return _local(path, path, None, None, False)
    given = getattr(item, "name", None)
    if hasattr(item, "read") and isinstance(given, str) and given:
        return _stream(item, where, os.path.basename(given), None)
    raise TypeError(f"cannot upload {type(item).__name__!r}: {_EXPECTED}")


def _where(index: int, item: Any) -> PurePath:
    """How an item is named in the report before (or if never) it is looked at."""
    if isinstance(item, tuple) and item and isinstance(item[0], str) and item[0]:
        return PurePath(item[0])
    if isinstance(item, str) and is_url(item):
        return PurePath(item.split("://", 1)[1])
    if isinstance(item, str | os.PathLike):
        return Path(local_path(os.fsdecode(item)))
    given = getattr(item, "name", None)
    return PurePath(given) if isinstance(given, str) and given else PurePath(f"files[{index}]")


class FileList:
    """The files of an iterable, looked at one at a time as the upload takes them.

    A walk taken again (after an interrupt, to list what was not started) first hands out again
    the last items the previous one handed out (the runner may not have queued them: the async
    one takes a batch ahead), then goes on with the iterable; what the report already holds is
    left out by the runner, so nothing is lost or listed twice.
    """

    __slots__ = ("_items", "_journaled", "_names", "_paths", "_pending", "_recent", "_walked")

    def __init__(self, files: Iterable[FileInput], *, journaled: bool) -> None:
        if isinstance(files, str | bytes | tuple | os.PathLike) or hasattr(files, "read"):
            raise TypeError(
                "files= is an iterable of files (a list, a generator...), not one file: "
                "a tuple is one (name, file) pair; give [file] for one"
            )
        self._items: Iterator[tuple[int, Any]] = enumerate(iter(files))
        self._journaled = journaled
        self._names: set[str] = set()
        self._paths: set[PurePath] = set()
        self._pending: tuple[int, Any] | None = None  # taken from the iterable, not yet handed out
        self._recent: deque[_Found | SkippedFile | FailedFile] = deque(maxlen=_WALK_BATCH + 1)
        self._walked = False

    def walk(self) -> Generator[_Found | SkippedFile | FailedFile, None, None]:
        again = list(self._recent) if self._walked else []
        self._walked = True
        yield from again
        while True:
            if self._pending is None:
                self._pending = next(self._items, None)
                if self._pending is None:
                    return
            result = self._result(*self._pending)
            self._pending = None
            self._recent.append(result)
            yield result

    def _result(self, index: int, item: Any) -> _Found | SkippedFile | FailedFile:
        where = _where(index, item)
        try:
            found = _look(item, where)
            if isinstance(found, _Found):
                self._check(found)
        except Exception as error:  # this item's: the others go on
            return FailedFile(where, error)
        return found

    def _check(self, found: _Found) -> None:
        if not found.name:
            raise ValueError("an empty name: give the file a name, as a (name, file) pair")
        if found.name in self._names or found.path in self._paths:
            raise ValueError(
                f"{found.name!r} is already in this upload: names must be unique, "
                "give each file its own as a (name, file) pair"
            )
        if self._journaled and found.size is None:
            raise OSError(
                errno.ESPIPE,
                "a journal needs a file it can read again (to hash it): this one cannot seek",
                str(found.path),
            )
        self._names.add(found.name)
        self._paths.add(found.path)
