"""Streaming multipart/form-data bodies: uploads straight from disk, in bounded chunks.

A MultipartBody never holds a file in memory: each part's header is built up front (so the total
size, hence `Content-Length`, is known whenever every part's size is) and the file's bytes are read
chunk by chunk while the request is sent. Headers and small parts are coalesced with what follows
them, so a small form goes out in one write. Paths are opened only while their part is sent and
closed right after; file objects the caller passed are never closed. The async iterator reads
files in a worker thread, so the event loop never blocks on disk.

Names and filenames are written as browsers do (WHATWG HTML): `"`, CR and LF become %22, %0D
and %0A, other characters (including non-ASCII, as UTF-8) are kept, so no header can be injected.
The boundary is 32 random hex digits, new for every body.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import IO

import anyio.to_thread
import httpx

__all__ = ["FileInput", "MultipartBody", "normalize_files"]

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

_CRLF = b"\r\n"


def normalize_files(
    value: FileInput | Sequence[FileInput] | None, field_name: str
) -> list[tuple[str, FileInput]]:
    """The user's `files=` argument (one input or a list of them) as (field, input) pairs."""
    if value is None:
        return []
    if isinstance(value, str | bytes | tuple | os.PathLike) or hasattr(value, "read"):
        return [(field_name, value)]  # type: ignore[list-item]
    return [(field_name, item) for item in value]


def _quote(value: str) -> bytes:
    escaped = value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return escaped.encode("utf-8")


class _Part:
    """One part: its header bytes, and where its content comes from."""

    __slots__ = ("content", "header", "opened", "path", "size", "start", "stream")

    def __init__(self, name: str, value: FileInput | None, text: bytes | None) -> None:
        self.content: bytes | None = text
        self.path: str | None = None
        self.stream: IO[bytes] | None = None
        self.start = 0
        self.opened: IO[bytes] | None = None
        disposition = b'form-data; name="' + _quote(name) + b'"'
        if value is None:  # a text field
            self.header = b"Content-Disposition: " + disposition + _CRLF * 2
            self.size: int | None = len(text or b"")
            return
        filename, source, content_type = self._unpack(name, value)
        disposition += b'; filename="' + _quote(filename) + b'"'
        if content_type is None:
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self.header = (
            b"Content-Disposition: " + disposition + _CRLF
            + b"Content-Type: " + _quote(content_type) + _CRLF * 2
        )  # fmt: skip
        if isinstance(source, bytes):
            self.content, self.size = source, len(source)
        elif isinstance(source, str | os.PathLike):
            self.path = os.fspath(source)
            try:
                self.size = os.stat(self.path).st_size
            except FileNotFoundError:
                raise FileNotFoundError(f"attachment not found: {self.path}") from None
        else:
            self.stream = source
            self.size = None
            try:
                if source.seekable():
                    self.start = source.tell()
                    self.size = source.seek(0, os.SEEK_END) - self.start
                    source.seek(self.start)
            except (AttributeError, OSError, ValueError):
                self.size = None

    @staticmethod
    def _unpack(name: str, value: FileInput) -> tuple[str, FileSource, str | None]:
        if isinstance(value, tuple):
            if len(value) == 3:
                return value[0], value[1], value[2]
            return value[0], value[1], None
        if isinstance(value, str | os.PathLike):
            return os.path.basename(os.fspath(value)), value, None
        if isinstance(value, bytes):
            return name, value, None
        filename = getattr(value, "name", None)
        return (os.path.basename(filename) if isinstance(filename, str) else name), value, None

    @property
    def replayable(self) -> bool:
        return self.stream is None or self.size is not None  # sized streams are seekable

    def reader(self) -> IO[bytes] | None:
        """The file to read this part's content from, positioned at its start."""
        if self.path is not None:
            self.opened = open(self.path, "rb")  # noqa: SIM115 - closed by close_reader
            return self.opened
        if self.stream is not None:
            if self.size is not None:
                self.stream.seek(self.start)
            return self.stream
        return None

    def close_reader(self) -> None:
        if self.opened is not None:
            self.opened.close()
            self.opened = None


class MultipartBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A multipart/form-data request body streamed from its sources; see the module docstring."""

    def __init__(
        self,
        fields: Sequence[tuple[str, str | bytes | int | bool]],
        files: Sequence[tuple[str, FileInput]],
        *,
        chunk_size: int = 256 * 1024,
        boundary: bytes | None = None,
    ) -> None:
        self.boundary = boundary or os.urandom(16).hex().encode("ascii")
        self.chunk_size = chunk_size
        self._parts: list[_Part] = []
        for name, value in fields:
            if value is None:
                continue
            if isinstance(value, bool):
                text = b"true" if value else b"false"
            elif isinstance(value, bytes):
                text = value
            else:
                text = str(value).encode("utf-8")
            self._parts.append(_Part(name, None, text))
        self._parts.extend(_Part(name, value, None) for name, value in files)
        self._iterations = 0
        sizes = [part.size for part in self._parts]
        self.content_length: int | None = None
        if all(size is not None for size in sizes):
            delimiter = len(self.boundary) + 4  # --boundary\r\n
            self.content_length = (
                sum(delimiter + len(part.header) + (part.size or 0) + 2 for part in self._parts)
                + len(self.boundary)
                + 6
            )  # --boundary--\r\n

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary.decode('ascii')}"

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        if self.content_length is not None:
            headers["Content-Length"] = str(self.content_length)
        return headers

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent again (for a retry or a redirect)."""
        return all(part.replayable for part in self._parts)

    def _start(self) -> None:
        if self._iterations and not self.replayable:
            raise RuntimeError("this upload reads a stream that cannot be rewound: send it once")
        self._iterations += 1

    def _opening(self, part: _Part) -> bytes:
        return b"--" + self.boundary + _CRLF + part.header

    def _closing(self) -> bytes:
        return b"--" + self.boundary + b"--" + _CRLF

    def __iter__(self) -> Iterator[bytes]:
        self._start()
        pending = bytearray()  # headers and small parts, sent together with what follows
        for part in self._parts:
            pending += self._opening(part)
            if part.content is not None:
                pending += part.content
            else:
                reader = part.reader()
                try:
                    while chunk := reader.read(self.chunk_size):  # type: ignore[union-attr]
                        if pending:
                            yield bytes(pending) + chunk
                            pending.clear()
                        else:
                            yield chunk
                finally:
                    part.close_reader()
            pending += _CRLF
            if len(pending) >= self.chunk_size:
                yield bytes(pending)
                pending.clear()
        yield bytes(pending + self._closing())

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._start()
        pending = bytearray()
        for part in self._parts:
            pending += self._opening(part)
            if part.content is not None:
                pending += part.content
            else:
                reader = await anyio.to_thread.run_sync(part.reader)
                try:
                    while chunk := await anyio.to_thread.run_sync(
                        reader.read,  # type: ignore[union-attr]
                        self.chunk_size,
                    ):
                        if pending:
                            yield bytes(pending) + chunk
                            pending.clear()
                        else:
                            yield chunk
                finally:
                    part.close_reader()
            pending += _CRLF
            if len(pending) >= self.chunk_size:
                yield bytes(pending)
                pending.clear()
        yield bytes(pending + self._closing())

    def close(self) -> None:
        """Close any file this body opened (files passed in by the caller stay open)."""
        for part in self._parts:
            part.close_reader()

    async def aclose(self) -> None:
        self.close()
