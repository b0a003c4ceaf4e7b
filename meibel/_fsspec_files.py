"""Files on fsspec filesystems (`s3://`, `gs://`, `memory://`...): a folder's walk, and one file.

fsspec is the `[fsspec]` extra, imported only when a URL is given: a plain install never needs
it. A URL is `scheme://...` (or a chain, `simplecache::s3://...`) with a scheme of two letters or
more, so a Windows drive (`C:/`) is a path; `file://` URLs are local paths.

A remote file is an `Opener`: the multipart body opens it each time its part is sent (a retry
reads it again) and reads it in chunks, so memory stays bounded whatever its size. Its SHA-256
is computed as it is sent, so the journal does not read it a second time. Size and mtime come
from fsspec's listing (`size`; `mtime`, `LastModified`, `updated`... whichever the filesystem
gives), None when it gives none.

The walk follows the local folder's rules (meibel/_folder_walk.py): the pattern matched against
the path relative to the folder, hidden files and directories skipped, links not followed. It
lists one directory at a time (`fs.ls`), so memory grows with the largest directory, not the tree.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Generator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ._extras import INSTALL_FSSPEC, MissingExtraError
from ._folder_walk import (
    HIDDEN,
    HIDDEN_DIRECTORY,
    NOT_A_FILE,
    SYMLINK,
    FailedFile,
    SkippedFile,
    _Found,
    _matches,
    _segments,
    digest_of,
    total_of,
)
from ._multipart import Opener

if TYPE_CHECKING:
    from ._multipart import FileInput

__all__ = ["DIRECTORY", "RemoteFile", "RemoteFolder", "is_url", "local_path", "remote_file"]

DIRECTORY = "directory"
_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]+::)*([A-Za-z][A-Za-z0-9+.-]+)://")
# The keys fsspec filesystems give a file's modification time under, in order of preference.
_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified", "created")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_url(text: str) -> bool:
    """Whether `text` is a URL for fsspec (`file://` is not: it is a local path)."""
    match = _URL.match(text)
    return match is not None and not (match.start(1) == 0 and match[1].lower() == "file")


def local_path(text: str) -> str:
    """`text`, a path or a `file://` URL, as a local path."""
    if text[:7].lower() == "file://":
        return url2pathname(urlsplit(text).path)
    return text


def _url_to_fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of `url`, and the path on it."""
    try:
        from fsspec.core import url_to_fs
    except ImportError as error:
        raise MissingExtraError(
            f"reading fsspec URLs (s3://, gs://, memory://...) needs fsspec, which meibel-sdk "
            f"installs only with its [fsspec] extra: {INSTALL_FSSPEC}",
            name="fsspec",
        ) from error
    try:
        fs, path = url_to_fs(url)
    except ImportError as error:  # the filesystem's own package: s3fs, gcsfs...
        raise MissingExtraError(f"{url}: {error}", name=error.name) from error
    except ValueError as error:
        if not str(error).startswith("Protocol not known"):
            raise
        raise MissingExtraError(
            f"{url}: fsspec knows no such filesystem (is the package that provides it installed?)"
        ) from error
    return fs, str(path)


def mtime_ns(info: Mapping[str, Any]) -> int | None:
    """A listing's modification time in nanoseconds since the epoch, None when it has none."""
    for key in _MTIME_KEYS:
        value = info.get(key)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                continue
        if isinstance(value, datetime):
            aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            return (aware - _EPOCH) // timedelta(microseconds=1) * 1000
        if isinstance(value, int | float) and not isinstance(value, bool):
            return round(value * 1e9)
    return None


class RemoteFile(Opener):
    """A file on an fsspec filesystem, opened each time it is sent and hashed as it is read."""

    __slots__ = ("_digest", "content_type", "fs", "path", "size")

    def __init__(self, fs: Any, path: str, size: int | None, content_type: str | None = None):
        self.fs = fs
        self.path = path
        self.size = size
        self.content_type = content_type
        self._digest: str | None = None

    def __str__(self) -> str:
        return str(self.fs.unstrip_protocol(self.path))

    def _reader(self) -> Any:
        handle = self.fs.open(self.path, "rb")
        # fsspec's memory filesystem hands out one shared BytesIO per path: two readers would
        # share its position. A view of its buffer reads it without copying, independently.
        return _Buffer(handle.getbuffer()) if isinstance(handle, io.BytesIO) else handle

    def open(self) -> IO[bytes]:
        return cast("IO[bytes]", _Hashing(self._reader(), self))

    def part(self, name: str) -> FileInput:
        # The multipart body takes an Opener, which FileInput (the public type) does not name.
        if self.content_type is None:
            return cast("FileInput", (name, self))
        return cast("FileInput", (name, self, self.content_type))

    def digest(self, algorithm: str) -> str:
        if algorithm == "sha256" and self._digest is not None:
            return self._digest
        with self._reader() as file:
            return digest_of(file, algorithm)


class _Buffer(io.RawIOBase):
    """An in-memory file read through a view of its buffer, at a position of its own."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._at = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        end = len(self._view) if size < 0 else min(self._at + size, len(self._view))
        data = bytes(self._view[self._at : end])
        self._at = max(end, self._at)
        return data

    def close(self) -> None:
        self._view.release()
        super().close()


class _Hashing(io.RawIOBase):
    """A remote file as the multipart body reads it: read to its end, its digest is kept."""

    def __init__(self, file: Any, owner: RemoteFile) -> None:
        self._file = file
        self._owner = owner
        self._hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        data = bytes(self._file.read(size))
        if data:
            self._hash.update(data)
        elif size != 0:
            self._owner._digest = self._hash.hexdigest()
        return data

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            super().close()


def remote_file(
    url: str,
    where: PurePath | None = None,
    name: str | None = None,
    content_type: str | None = None,
) -> _Found | SkippedFile:
    """One file at `url`, reported as `where` (default: its path) and sent as `name` (default:
    its last path component)."""
    fs, path = _url_to_fs(url)
    info = fs.info(path)
    where = PurePath(path) if where is None else where
    if info.get("type") == "directory":
        return SkippedFile(where, DIRECTORY)
    size = info.get("size")
    size = size if isinstance(size, int) else None
    name = path.rstrip("/").rsplit("/", 1)[-1] if name is None else name
    return _Found(where, name, size, mtime_ns(info), RemoteFile(fs, path, size, content_type))


class RemoteFolder:
    """The files of a folder on an fsspec filesystem, found by walking it (as often as asked)."""

    __slots__ = ("fs", "include_hidden", "root", "segments")

    def __init__(self, url: str, pattern: str, include_hidden: bool) -> None:
        self.segments = _segments(pattern)
        self.fs, root = _url_to_fs(url)
        self.root = root.rstrip("/") or root
        self.include_hidden = include_hidden

    def total(self) -> int:
        """The size of every file to upload: a first walk, which only lists."""
        return total_of(self.walk())

    def walk(self) -> Generator[_Found | SkippedFile | FailedFile, None, None]:
        if not self.fs.isdir(self.root):  # the folder itself: raised, before anything is sent
            if self.fs.exists(self.root):
                raise NotADirectoryError(f"not a folder: {self.fs.unstrip_protocol(self.root)}")
            raise FileNotFoundError(f"no such folder: {self.fs.unstrip_protocol(self.root)}")
        pending = [(self.root, "")]
        while pending:
            directory, prefix = pending.pop()
            try:
                listing = self.fs.ls(directory, detail=True)
            except OSError as error:
                yield FailedFile(PurePath(directory), error)
                continue
            for info in listing:
                yield from self._entry(info, directory, prefix, pending)

    def _entry(
        self, info: Mapping[str, Any], directory: str, prefix: str, pending: list[tuple[str, str]]
    ) -> Iterator[_Found | SkippedFile]:
        full = str(info["name"]).rstrip("/")
        base = full.rsplit("/", 1)[-1]
        if full == directory or not base:  # some filesystems list a directory in itself
            return
        path, name, kind = PurePath(full), prefix + base, info.get("type")
        hidden = base.startswith(".") and not self.include_hidden
        if info.get("islink"):
            if kind == "directory" or _matches(self.segments, name.split("/")):
                yield SkippedFile(path, SYMLINK)
        elif kind == "directory":
            if hidden:
                yield SkippedFile(path, HIDDEN_DIRECTORY)
            else:
                pending.append((full, name + "/"))
        elif not _matches(self.segments, name.split("/")):
            return
        elif hidden:
            yield SkippedFile(path, HIDDEN)
        elif kind != "file":
            yield SkippedFile(path, NOT_A_FILE)
        else:
            size = info.get("size")
            size = size if isinstance(size, int) else None
            remote = RemoteFile(self.fs, full, size)
            yield _Found(path, name, size, mtime_ns(info), remote)
