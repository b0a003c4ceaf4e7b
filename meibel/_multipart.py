"""Streaming multipart/form-data request bodies: uploads read from disk in bounded chunks.

A `MultipartBody` never holds a file in memory. Each part's header is built up front, so the
total size (hence `Content-Length`) is known whenever every part's size is: bytes, regular files
(`os.stat`) and seekable file objects (end minus the position they were given at). File content is
read `chunk_size` bytes at a time while the request is sent and yielded as read, never joined with
anything; headers, fields and small bytes parts are joined once, at construction. Paths are opened
only while their part is sent and closed right after, also when sending stops midway (so is an
`Opener`, a folder upload's remote file); file objects the caller passed are never closed. The
async iterator opens and reads files in a worker thread.

Names and filenames are quoted-strings that python-multipart (Starlette's and FastAPI's parser;
the spec's `Body_*` schemas are FastAPI's) reads back exactly: `"` and `\\` are backslash-escaped,
which its `parse_options_header` undoes; non-ASCII is sent as UTF-8 (as browsers do). Only three
characters cannot round-trip: CR and LF are sent as %0D and %0A, as WHATWG HTML does (so no
header can ever be injected), and a trailing backslash as %5C (the stdlib-derived parameter
splitter reads `\\"` as an escaped quote). No RFC 5987 `filename*` is added: RFC 7578 section 4.2
forbids it and python-multipart ignores it. A file with no name of its own (bytes, or a file
object without a str `.name`) is named after its form field, as `requests` does.

The boundary is 32 random hex digits, new for every body.

Progress: a body given `on_progress(done_bytes, total_bytes, current_file)`, or built inside
`upload_progress(callback)` (how a generated call, which takes no callback, gets one), calls it
as file content is handed to the connection: after every chunk read from a file, after a part
given as bytes, and once for an empty part. `done_bytes` counts file content only (not the
multipart framing) and `total_bytes` is `file_bytes`, None when a part's size is unknown;
`current_file` is the part's filename. A body sent again (a retry, a 307) counts from 0 again.
"""

from __future__ import annotations

import errno
import io
import mimetypes
import os
import re
import stat
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING

import httpx2

from ._exceptions import FileChangedError

if TYPE_CHECKING:
    from ._download import ProgressCallback

__all__ = [
    "FileContent",
    "FileInput",
    "MultipartBody",
    "Opener",
    "normalize_files",
    "upload_progress",
    "with_filename",
]

FileContent = bytes | IO[bytes]
FileSource = FileContent | str | os.PathLike[str]
FileInput = (
    str
    | os.PathLike[str]
    | bytes
    | IO[bytes]
    | tuple[str, FileSource]
    | tuple[str, FileSource, str]
)
FieldValue = str | bytes | int | bool

_CRLF = b"\r\n"
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\r": "%0D", "\n": "%0A"}
_TO_ESCAPE = re.compile(r'[\\"\r\n]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters that are both boundary characters (RFC 2046) and token characters (RFC 9110), so
# the boundary needs no quoting in the Content-Type header.
_BOUNDARY = re.compile(rb"[0-9A-Za-z'+_.-]{1,70}")


class Opener:
    """Content opened afresh each time its part is sent, and closed after (internal).

    What a folder upload sends for a file that is not on the local disk (an fsspec URL): the
    multipart body treats it as it treats a path. Not part of FileInput: the SDK makes these.
    """

    __slots__ = ()

    #: The content's size in bytes; None when unknown (the body is then sent chunked).
    size: int | None = None

    def open(self) -> IO[bytes]:
        """The content from its start; the body closes it once the part is sent."""
        raise NotImplementedError


_progress: ContextVar[ProgressCallback | None] = ContextVar("meibel_upload_progress", default=None)


@contextmanager
def upload_progress(callback: ProgressCallback | None) -> Iterator[None]:
    """Multipart bodies built inside this block (in this thread or task) report to `callback`."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def normalize_files(
    value: FileInput | Sequence[FileInput] | None, field_name: str
) -> list[tuple[str, FileInput]]:
    """The user's `files=` argument (one input or a list of them) as (field, input) pairs.

    A tuple is one file, (filename, content[, content_type]), never a list of files.
    """
    if value is None:
        return []
    if isinstance(value, str | bytes | tuple | os.PathLike) or hasattr(value, "read"):
        return [(field_name, value)]  # type: ignore[list-item]
    return [(field_name, item) for item in value]


def with_filename(value: FileInput | Sequence[FileInput], filename: str) -> list[FileInput]:
    """The one file of `value` (an input, or a list of one) sent under `filename`."""
    files = normalize_files(value, "")
    if len(files) != 1:
        raise TypeError(
            f"file_name= names one file, not {len(files)}: give each file its name in a "
            "(filename, content) tuple"
        )
    _, file = files[0]
    if not isinstance(file, tuple):
        return [(filename, file)]
    if len(file) == 3:
        return [(filename, file[1], file[2])]
    return [(filename, file[1])]


def _quote(value: str) -> bytes:
    """`value` as the inside of a quoted header parameter; see the module docstring."""
    quoted = _TO_ESCAPE.sub(lambda match: _ESCAPES[match.group()], value)
    if value.endswith("\\"):
        quoted = quoted[:-2] + "%5C"
    return quoted.encode("utf-8", "replace")


def _field_bytes(value: FieldValue) -> bytes:
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


class _File:
    """A part's content read from a file: a path or an Opener opened on demand, or the caller's
    file object."""

    __slots__ = ("opener", "path", "replayable", "size", "start", "stream")

    def __init__(self, source: str | os.PathLike[str] | IO[bytes] | Opener) -> None:
        self.path: str | None = None
        self.stream: IO[bytes] | None = None
        self.opener: Opener | None = None
        self.size: int | None = None
        self.start = 0
        if isinstance(source, Opener):
            self.opener, self.size, self.replayable = source, source.size, True
            return
        if isinstance(source, str | os.PathLike):
            self.path = os.fsdecode(source)
            try:
                info = os.stat(self.path)
            except FileNotFoundError:
                missing = FileNotFoundError(errno.ENOENT, "file to upload not found", self.path)
                raise missing from None
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, "cannot upload a directory", self.path)
            if not os.access(self.path, os.R_OK):
                raise PermissionError(errno.EACCES, "file to upload is not readable", self.path)
            # A pipe or a device has no size and cannot be read twice.
            self.replayable = stat.S_ISREG(info.st_mode)
            if self.replayable:
                self.size = info.st_size
            return
        if isinstance(source, io.TextIOBase):
            raise TypeError("cannot upload a text file object: open the file in binary mode ('rb')")
        if not hasattr(source, "read"):
            raise TypeError(
                f"cannot upload {type(source).__name__!r}: expected a path, bytes, a binary file "
                "object or a (filename, content[, content_type]) tuple"
            )
        self.stream = source
        try:
            if source.seekable():
                self.start = source.tell()
                self.size = max(source.seek(0, os.SEEK_END) - self.start, 0)
                source.seek(self.start)
        except (AttributeError, OSError, ValueError):
            self.size = None
        self.replayable = self.size is not None

    def open(self, opened: list[IO[bytes]]) -> IO[bytes]:
        """The file to read, at the start of this part's content; files opened go to `opened`."""
        if self.opener is not None:
            opened.append(self.opener.open())  # closed by the body
            return opened[-1]
        if self.path is not None:
            handle = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed by the body
            opened.append(handle)
            return handle
        assert self.stream is not None
        if self.size is not None:
            self.stream.seek(self.start)
        return self.stream

    def name(self) -> str:
        if self.opener is not None:
            return str(self.opener)
        return self.path or str(getattr(self.stream, "name", None) or "file object")

    def check_ended(self, more: bytes | None) -> None:
        """After the measured size was sent: `more` (one byte read past it) must be nothing."""
        if more:
            raise FileChangedError(
                f"{self.name()} grew while being uploaded: it is longer than the {self.size} "
                "bytes it had when the request was built; nothing was completed",
                path=self.name(),
            )

    @staticmethod
    def wanted(remaining: int | None, chunk_size: int) -> int:
        """How much to read next: a chunk, but never past the size the file was measured at."""
        return chunk_size if remaining is None else min(remaining, chunk_size)

    def checked(self, chunk: bytes | None, remaining: int | None) -> bytes:
        """A chunk read from this file, or an error if the file ended before its known size."""
        if not chunk:
            if remaining is None:
                return b""
            raise FileChangedError(
                f"{self.name()} shrank while being uploaded: it ended {remaining} bytes short of "
                f"the {self.size} it had when the request was built; nothing was completed",
                path=self.name(),
            )
        if type(chunk) is not bytes:
            if isinstance(chunk, str):
                raise TypeError(f"{self.name()} returned str: open it in binary mode ('rb')")
            chunk = bytes(chunk)
        return chunk


def _unpack(name: str, value: FileInput) -> tuple[str, bytes | _File, str | None]:
    """(filename, content, content type or None) of one file input."""
    if isinstance(value, tuple):
        if len(value) not in (2, 3) or not all(isinstance(item, str) for item in value[::2]):
            raise TypeError("a file tuple is (filename, content) or (filename, content, type)")
        filename, source, content_type = value[0], value[1], value[2] if len(value) == 3 else None
    elif isinstance(value, str | os.PathLike):
        filename, source, content_type = os.path.basename(os.fsdecode(value)), value, None
    elif isinstance(value, bytes | bytearray | memoryview):
        filename, source, content_type = name, value, None
    else:
        given = getattr(value, "name", None)
        filename = os.path.basename(given) if isinstance(given, str) and given else name
        source, content_type = value, None
    if isinstance(source, bytes | bytearray | memoryview):
        return filename, bytes(source), content_type
    return filename, _File(source), content_type


class MultipartBody(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A multipart/form-data request body streamed from its sources; see the module docstring.

    Send it as a request's stream (`httpx2.Request(..., stream=body, headers=body.headers)`), or
    with `content=body` on a sync client. Fields come first, then files, each in the given order.
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, FieldValue]],
        files: Sequence[tuple[str, FileInput]],
        *,
        chunk_size: int = 256 * 1024,
        boundary: bytes | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, not {chunk_size}")
        if boundary is None:
            boundary = os.urandom(16).hex().encode("ascii")
        elif not _BOUNDARY.fullmatch(boundary):
            raise ValueError(f"invalid multipart boundary {boundary!r}")
        self.boundary: bytes = boundary
        self.content_type: str = f"multipart/form-data; boundary={boundary.decode('ascii')}"
        self.chunk_size = chunk_size
        self.on_progress = on_progress if on_progress is not None else _progress.get()
        # The body, in order: static bytes (delimiters, headers, fields, bytes parts) and files;
        # beside each item, the filename and content size of the parts it ends, for progress.
        self._plan: list[bytes | _File] = []
        self._marks: list[tuple[str, int] | None] = []
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._pending_mark: tuple[str, int] | None = None
        delimiter = b"--" + boundary + _CRLF
        for name, value in fields:
            if value is None:
                continue
            self._add(delimiter + b'Content-Disposition: form-data; name="' + _quote(name) + b'"')
            self._add(_CRLF * 2)
            self._add(_field_bytes(value))
            self._add(_CRLF)
        for name, file in files:
            filename, content, content_type = _unpack(name, file)
            if content_type is None:
                content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            elif _CONTROL.search(content_type):
                raise ValueError(f"invalid content type {content_type!r}")
            self._add(
                delimiter
                + b'Content-Disposition: form-data; name="' + _quote(name)
                + b'"; filename="' + _quote(filename) + b'"' + _CRLF
                + b"Content-Type: " + content_type.encode("utf-8") + _CRLF * 2
            )  # fmt: skip
            if isinstance(content, bytes):
                self._add(content, filename)
            else:
                self._flush()
                self._plan.append(content)
                self._marks.append((filename, 0))
            self._add(_CRLF)
        self._add(b"--" + boundary + b"--" + _CRLF)
        self._flush()
        self._files = [item for item in self._plan if isinstance(item, _File)]
        self.content_length: int | None = None
        # The file content alone, what progress counts (None when a part's size is unknown).
        self.file_bytes: int | None = None
        if all(file.size is not None for file in self._files):
            self.content_length = sum(
                len(item) if isinstance(item, bytes) else item.size or 0 for item in self._plan
            )
            self.file_bytes = sum(file.size or 0 for file in self._files) + sum(
                mark[1] for mark in self._marks if mark is not None
            )
        self._sent = False
        self._open: set[IO[bytes]] = set()

    def _add(self, data: bytes, filename: str | None = None) -> None:
        """Append static bytes, joining small ones into writes of at most chunk_size bytes.

        `filename`: `data` is the content of that file part.
        """
        if self._pending and self._pending_size + len(data) > self.chunk_size:
            self._flush()
        self._pending.append(data)
        self._pending_size += len(data)
        if filename is not None:
            before = 0 if self._pending_mark is None else self._pending_mark[1]
            self._pending_mark = (filename, before + len(data))

    def _flush(self) -> None:
        if self._pending:
            self._plan.append(b"".join(self._pending))  # one item: no copy
            self._marks.append(self._pending_mark)
            self._pending.clear()
            self._pending_size = 0
            self._pending_mark = None

    @property
    def headers(self) -> dict[str, str]:
        """Content-Type, and Content-Length when every part's size is known."""
        headers = {"Content-Type": self.content_type}
        if self.content_length is not None:
            headers["Content-Length"] = str(self.content_length)
        return headers

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent again (for a retry or a redirect)."""
        return all(file.replayable for file in self._files)

    def _begin(self) -> None:
        if self._sent and not self.replayable:
            raise RuntimeError(
                "this multipart body reads a stream that cannot be rewound, so it can be sent once"
            )
        self._sent = True

    def _slices(self, data: bytes) -> Iterator[bytes]:
        size = self.chunk_size
        if len(data) <= size:
            yield data
        else:
            for start in range(0, len(data), size):
                yield data[start : start + size]

    def _opened(self, file: _File, opened: list[IO[bytes]]) -> IO[bytes]:
        handle = file.open(opened)
        self._open.update(opened)
        return handle

    def _release(self, opened: list[IO[bytes]]) -> None:
        while opened:
            handle = opened.pop()
            self._open.discard(handle)
            handle.close()

    def __iter__(self) -> Iterator[bytes]:
        self._begin()
        report, total, done = self.on_progress, self.file_bytes, 0
        opened: list[IO[bytes]] = []
        try:
            for item, mark in zip(self._plan, self._marks, strict=True):
                if isinstance(item, bytes):
                    yield from self._slices(item)
                    if report is not None and mark is not None:
                        done += mark[1]
                        report(done, total, mark[0])
                    continue
                reader = self._opened(item, opened)
                remaining = item.size
                started = done
                while remaining != 0:
                    wanted = item.wanted(remaining, self.chunk_size)
                    chunk = item.checked(reader.read(wanted), remaining)
                    if not chunk:
                        break
                    if remaining is not None:
                        remaining -= len(chunk)
                    yield chunk
                    if report is not None and mark is not None:
                        done += len(chunk)
                        report(done, total, mark[0])
                if remaining == 0:
                    item.check_ended(reader.read(1))
                self._release(opened)
                if report is not None and mark is not None and done == started:
                    report(done, total, mark[0])  # an empty file
        finally:
            self._release(opened)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        from anyio.to_thread import run_sync

        self._begin()
        report, total, done = self.on_progress, self.file_bytes, 0
        opened: list[IO[bytes]] = []
        try:
            for item, mark in zip(self._plan, self._marks, strict=True):
                if isinstance(item, bytes):
                    for piece in self._slices(item):
                        yield piece
                    if report is not None and mark is not None:
                        done += mark[1]
                        report(done, total, mark[0])
                    continue
                # Opened in the thread: if cancelled meanwhile, `opened` still has the handle.
                reader = await run_sync(self._opened, item, opened)
                remaining = item.size
                started = done
                while remaining != 0:
                    wanted = item.wanted(remaining, self.chunk_size)
                    chunk = item.checked(await run_sync(reader.read, wanted), remaining)
                    if not chunk:
                        break
                    if remaining is not None:
                        remaining -= len(chunk)
                    yield chunk
                    if report is not None and mark is not None:
                        done += len(chunk)
                        report(done, total, mark[0])
                if remaining == 0:
                    item.check_ended(await run_sync(reader.read, 1))
                self._release(opened)
                if report is not None and mark is not None and done == started:
                    report(done, total, mark[0])  # an empty file
        finally:
            self._release(opened)

    def close(self) -> None:
        """Close the files this body opened (file objects passed in by the caller stay open)."""
        for handle in list(self._open):
            self._open.discard(handle)
            handle.close()

    async def aclose(self) -> None:
        self.close()
