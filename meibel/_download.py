"""Download and AsyncDownload: the answer of an operation whose body is a file.

The call returns once the status and headers have arrived; the body is read only when asked
(`save`, `read`, `text`, `json`, `iter_bytes`). The connection is released when the body has been
read, on `close()` or the end of `with`, on any error, and, with a ResourceWarning, when an
unclosed download is garbage-collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeAlias
from urllib.parse import unquote_to_bytes

import httpx2
import orjson

from ._exceptions import APIConnectionError, APITimeoutError
from ._files import AtomicFile, resolve_destination

__all__ = ["DEFAULT_FILENAME", "AsyncDownload", "Download", "ProgressCallback", "parse_filename"]

# The name `save(directory)` gives a body whose response names no file.
DEFAULT_FILENAME = "download"
# on_progress(done_bytes, total_bytes or None, current_file)
ProgressCallback: TypeAlias = Callable[[int, int | None, str | None], object]
# An async save hands its disk writes to a worker thread in batches this large: the event loop
# never waits on the disk, and the thread hop costs little per byte.
_ASYNC_BATCH = 1 << 20
# A body kept by read() is handed out again in slices this large.
_CACHED_SLICE = 1 << 20

_PARAM = re.compile(r";\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^;]*)")
_ESCAPE = re.compile(r"\\(.)")


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _ESCAPE.sub(r"\1", value[1:-1])
    return value


def _ext_value(value: str) -> str | None:
    """An RFC 8187 value (`UTF-8''%E2%82%AC.csv`), or None when it does not decode."""
    charset, _, rest = value.partition("'")
    _, quote, encoded = rest.partition("'")
    charset = charset.strip().lower()
    if not quote or charset not in ("utf-8", "iso-8859-1"):
        return None
    try:
        return unquote_to_bytes(encoded).decode(charset)
    except UnicodeDecodeError:
        return None


def parse_filename(disposition: str | None) -> str | None:
    """The filename of a Content-Disposition header (RFC 6266): `filename*` wins over
    `filename`; None when there is none (or it is empty)."""
    if not disposition:
        return None
    plain: str | None = None
    extended: str | None = None
    for name, raw in _PARAM.findall(disposition):
        name = name.lower()
        if name == "filename*" and extended is None:
            extended = _ext_value(_unquote(raw))
        elif name == "filename" and plain is None:
            plain = _unquote(raw)
    return extended or plain or None


def _write_all(file: _Writable, chunks: list[bytes]) -> None:
    for chunk in chunks:
        file.write(chunk)


class _DownloadBase:
    """What sync and async downloads share: the response's facts and the bookkeeping of reads."""

    _kind = "Download"

    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        self._content: bytes | None = None
        self._consumed_by: str | None = None

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> httpx2.Headers:
        return self.response.headers

    @property
    def filename(self) -> str | None:
        """The server's name for the file (Content-Disposition), as sent: it may name a path or
        hold control characters, so `save(directory)` makes it safe first (only its base name,
        controls replaced, no leading dot). None when the server gave none."""
        return parse_filename(self.response.headers.get("content-disposition"))

    @property
    def content_type(self) -> str | None:
        """The media type, lowercased and without parameters (`text/csv`), or None."""
        media_type = self.response.headers.get("content-type", "").split(";", 1)[0]
        return media_type.strip().lower() or None

    @property
    def closed(self) -> bool:
        """Whether the connection has been released (the body read, or closed unread)."""
        return self.response.is_closed

    def __repr__(self) -> str:
        return (
            f"<{self._kind} [{self.status_code}] filename={self.filename!r} "
            f"content_type={self.content_type!r}>"
        )

    def _length(self) -> int | None:
        """The Content-Length the server declared (raw bytes on the wire), if any."""
        value = self.response.headers.get("content-length", "")
        return int(value) if value.isdigit() else None

    def _total(self) -> int | None:
        """How many bytes saving will write, when the headers say."""
        encoding = self.response.headers.get("content-encoding", "identity").strip().lower()
        return self._length() if encoding == "identity" else None

    def _claim(self, by: str) -> bool:
        """Whether the body is to be read from the network (False: it is kept from read()).

        Raises when it is no longer there: read once, without read(), or closed unread.
        """
        if self._content is not None:
            return False
        if self._consumed_by is not None:
            raise RuntimeError(
                f"the body of {self!r} was already read by {self._consumed_by}, and a body is "
                "read once: call read() first to keep it in memory and use it again"
            )
        with contextlib.suppress(httpx2.ResponseNotRead):
            # Already in memory: a body given as bytes (an httpx2.MockTransport's, say).
            self._content = self.response.content
            return False
        if self.response.is_closed:
            raise RuntimeError(f"{self!r} was closed before its body was read")
        self._consumed_by = by
        return True

    def _cached(self, chunk_size: int | None) -> Iterator[bytes]:
        content = self._content or b""
        step = chunk_size or _CACHED_SLICE
        for start in range(0, len(content), step):
            yield content[start : start + step]

    def _body_error(self, error: httpx2.HTTPError) -> APIConnectionError:
        request = self.response.request
        received = self.response.num_bytes_downloaded
        total = self._length()
        if total is None:
            amount = f"{received:,} bytes of the body were received (its length was not given)"
        else:
            amount = f"{received:,} of {total:,} bytes of the body were received"
        timed_out = isinstance(error, httpx2.TimeoutException)
        kind = APITimeoutError if timed_out else APIConnectionError
        reason = str(error) or type(error).__name__
        return kind(
            f"{request.method} {request.url}: the download {'timed out' if timed_out else 'failed'}"
            f" after {amount} ({type(error).__name__}: {reason})",
            request=request,
        )

    def _target(self, path: str | os.PathLike[str]) -> tuple[Path, bool]:
        return resolve_destination(path, lambda: self.filename or DEFAULT_FILENAME)

    def _text(self, content: bytes) -> str:
        charset = self.response.charset_encoding or "utf-8"
        try:
            return content.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return content.decode("utf-8", errors="replace")

    def _unclosed_message(self, released: str) -> str:
        request = self.response.request
        return (
            f"unclosed {self!r} of {request.method} {request.url} was garbage-collected; "
            f"{released}. Use `with`, read it to its end, or close() it."
        )


def _check_chunk_size(chunk_size: int | None) -> None:
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive number of bytes, not {chunk_size}")


class Download(_DownloadBase):
    """A file the API answered with; the response is open, its body unread until asked.

    Use it as a context manager, or read it to its end, so its connection is released:

        with client.documents.get_document_result(job_id) as download:
            download.save("result.md", on_progress=print)

    A body is read once: `save`, `iter_bytes`, `read` consume it, and only `read()` keeps it
    (then `text()`, `json()`, `save()` and `iter_bytes()` use the kept bytes).
    """

    def __enter__(self) -> Download:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection (the body, if unread, is not read)."""
        self.response.close()

    def __del__(self) -> None:
        response = getattr(self, "response", None)
        if response is None or response.is_closed:
            return
        # Close first: with warnings turned into errors, warn() raises.
        with contextlib.suppress(Exception):
            response.close()
        warnings.warn(
            self._unclosed_message("its connection was closed now"), ResourceWarning, 2, self
        )

    def _chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        try:
            yield from self.response.iter_bytes(chunk_size)
        except (httpx2.TransportError, httpx2.DecodingError) as error:
            raise self._body_error(error) from error
        finally:
            self.close()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body in chunks: as they arrive (up to 64 KiB each), or of `chunk_size` bytes."""
        _check_chunk_size(chunk_size)
        if self._claim("iter_bytes()"):
            return self._chunks(chunk_size)
        return self._cached(chunk_size)

    def read(self) -> bytes:
        """The whole body, kept: calling it again (or text, json, save) reads nothing more."""
        if self._claim("read()"):
            self._content = b"".join(self._chunks())
        assert self._content is not None
        return self._content

    def text(self) -> str:
        """The body decoded with the Content-Type's charset (UTF-8 when it names none)."""
        return self._text(self.read())

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.read())

    def save(
        self,
        destination: str | os.PathLike[str] | _Writable,
        *,
        on_progress: ProgressCallback | None = None,
        overwrite: bool = False,
    ) -> int:
        """Write the body to a file and return the number of bytes written.

        `destination` is a file path, a directory, or a binary file object to write into. A
        directory (one that exists, or a path ending in "/", created if missing) gets the
        server's filename made safe (base name only, control characters replaced, no leading
        dot; DEFAULT_FILENAME "download" when it gave none). A path gets a temporary file beside
        it, renamed into place once the body is complete: a failed download leaves no partial
        file (nor a directory it created). Before any of the body is read, an existing file
        raises FileExistsError unless `overwrite=True`; a link, FIFO, device or directory in the
        way always does. `on_progress(done_bytes, total_bytes, current_file)` is called as
        chunks are written; `total_bytes` is the Content-Length (None if not given),
        `current_file` the name of the file written (the server's filename for a file object).
        """
        try:
            if isinstance(destination, str | os.PathLike):
                target, make_dirs = self._target(destination)
                with AtomicFile(target, overwrite=overwrite, make_dirs=make_dirs) as file:
                    return self._write(file, on_progress, target.name)
            return self._write(destination, on_progress, self.filename)
        finally:
            self.close()

    def _write(
        self, file: _Writable, on_progress: ProgressCallback | None, name: str | None
    ) -> int:
        chunks = self._chunks() if self._claim("save()") else self._cached(None)
        total = self._total()
        done = 0
        for chunk in chunks:
            file.write(chunk)
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, total, name)
        if on_progress is not None and done == 0:
            on_progress(0, total, name)
        return done


def _release_in_task(loop: asyncio.AbstractEventLoop, response: httpx2.Response) -> None:
    task = loop.create_task(response.aclose())
    _RELEASING.add(task)
    task.add_done_callback(_released)


def _released(task: asyncio.Task[None]) -> None:
    _RELEASING.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio logs nothing: the warning already told


# Tasks releasing the connections of collected downloads (asyncio keeps only weak references).
_RELEASING: set[asyncio.Task[None]] = set()


class AsyncDownload(_DownloadBase):
    """The async twin of Download: `async with`, `await save(...)`, `async for ... iter_bytes()`.

    Disk writes of `save` run in a worker thread, so the event loop never waits on the disk.
    """

    _kind = "AsyncDownload"

    def __init__(self, response: httpx2.Response) -> None:
        super().__init__(response)
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # not under asyncio (trio), or built outside a coroutine
            self._loop = None

    async def __aenter__(self) -> AsyncDownload:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Release the connection (the body, if unread, is not read)."""
        await self.response.aclose()

    def __del__(self) -> None:
        response = getattr(self, "response", None)
        if response is None or response.is_closed:
            return
        # Releasing the pool's connection takes an await (httpcore2's PoolByteStream.aclose), so
        # it is scheduled on the download's event loop, as asyncio finalises async generators.
        loop = getattr(self, "_loop", None)
        released = "its connection could not be released (no event loop to run on)"
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_release_in_task, loop, response)
                released = "its connection is being released now"
        warnings.warn(self._unclosed_message(released), ResourceWarning, 2, self)

    async def _chunks(self, chunk_size: int | None = None) -> AsyncGenerator[bytes, None]:
        try:
            async with contextlib.aclosing(self.response.aiter_bytes(chunk_size)) as chunks:
                async for chunk in chunks:
                    yield chunk
        except (httpx2.TransportError, httpx2.DecodingError) as error:
            raise self._body_error(error) from error
        finally:
            await self.aclose()

    async def _acached(self, chunk_size: int | None) -> AsyncGenerator[bytes, None]:
        for chunk in self._cached(chunk_size):
            yield chunk

    def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body in chunks: as they arrive (up to 64 KiB each), or of `chunk_size` bytes."""
        _check_chunk_size(chunk_size)
        if self._claim("iter_bytes()"):
            return self._chunks(chunk_size)
        return self._acached(chunk_size)

    async def read(self) -> bytes:
        """The whole body, kept: calling it again (or text, json, save) reads nothing more."""
        if self._claim("read()"):
            async with contextlib.aclosing(self._chunks()) as chunks:
                self._content = b"".join([chunk async for chunk in chunks])
        assert self._content is not None
        return self._content

    async def text(self) -> str:
        """The body decoded with the Content-Type's charset (UTF-8 when it names none)."""
        return self._text(await self.read())

    async def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(await self.read())

    async def save(
        self,
        destination: str | os.PathLike[str] | _Writable,
        *,
        on_progress: ProgressCallback | None = None,
        overwrite: bool = False,
    ) -> int:
        """Write the body to a file and return the number of bytes written (see Download.save).

        A file object is written to from a worker thread, in batches of about 1 MiB.
        """
        try:
            if isinstance(destination, str | os.PathLike):
                target, make_dirs = self._target(destination)
                with AtomicFile(target, overwrite=overwrite, make_dirs=make_dirs) as file:
                    return await self._write(file, on_progress, target.name)
            return await self._write(destination, on_progress, self.filename)
        finally:
            await self.aclose()

    async def _write(
        self, file: _Writable, on_progress: ProgressCallback | None, name: str | None
    ) -> int:
        from anyio.to_thread import run_sync

        source = self._chunks() if self._claim("save()") else self._acached(None)
        total = self._total()
        done = 0
        batch: list[bytes] = []
        pending = 0
        async with contextlib.aclosing(source) as chunks:
            async for chunk in chunks:
                batch.append(chunk)
                pending += len(chunk)
                if pending >= _ASYNC_BATCH:
                    await run_sync(_write_all, file, batch)
                    done += pending
                    batch, pending = [], 0
                    if on_progress is not None:
                        on_progress(done, total, name)
        if batch:
            await run_sync(_write_all, file, batch)
            done += pending
        if on_progress is not None and (pending or done == 0):
            on_progress(done, total, name)
        return done
