"""Folder uploads: every file of a folder to a datasource, one uploadContent call per file.

`client.file_upload.upload_folder(...)` walks the folder lazily (os.scandir, one directory open at
a time) and keeps at most `concurrency` uploads in flight: threads over the one client when
sync, tasks when async. Files stream from disk (MultipartBody), so memory does not grow with
their size. Each file is sent with its path relative to the folder as its filename. A failed
file is recorded and the others go on; the UploadReport says what was uploaded, skipped, failed.

Skipped, never uploaded: hidden files and directories (a name starting with a dot; the
directory is not entered) unless `include_hidden=True`, symbolic links (never followed: a link
could point outside the folder, or loop; a dangling link or a loop is skipped the same way),
and what is not a regular file (sockets, FIFOs, devices). Files not matching `pattern` are left
out silently.

Progress comes from the multipart bodies themselves: each upload's body is built inside
`upload_progress(...)` and reports the bytes it hands to the connection; they are summed here.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

# concurrent.futures and ._multipart load with the first upload, not with the namespace.
if TYPE_CHECKING:
    from concurrent.futures import Future

    from ._download import ProgressCallback
    from ._generated import TriggerIngestResponse, UploadContentResponse
    from ._multipart import FileInput

__all__ = [
    "AsyncFolderUploads",
    "FailedFile",
    "FolderUploads",
    "SkippedFile",
    "UploadReport",
    "UploadedFile",
]

HIDDEN = "hidden"
HIDDEN_DIRECTORY = "hidden directory"
SYMLINK = "symlink"
NOT_A_FILE = "not a regular file"
# The async walk reads this many directory entries per worker-thread hop.
_WALK_BATCH = 64


class UploadedFile(NamedTuple):
    path: Path
    response: UploadContentResponse


class SkippedFile(NamedTuple):
    path: Path
    reason: str


class FailedFile(NamedTuple):
    path: Path
    error: Exception


@dataclass(frozen=True, slots=True, repr=False)
class UploadReport:
    """What `upload_folder` did, each list sorted by path.

    `uploaded`: (path, the server's UploadContentResponse); `skipped`: (path, reason);
    `failed`: (path, the exception: an APIStatusError, APIConnectionError, OSError...).
    `ingest` is the TriggerIngestResponse when `trigger_ingest=True` triggered one, and
    `ingest_error` the exception when that call failed.
    """

    uploaded: tuple[UploadedFile, ...]
    skipped: tuple[SkippedFile, ...]
    failed: tuple[FailedFile, ...]
    ingest: TriggerIngestResponse | None = None
    ingest_error: Exception | None = None

    @property
    def ok(self) -> bool:
        """No file failed, nor the ingest trigger."""
        return not self.failed and self.ingest_error is None

    def __repr__(self) -> str:
        ingest = "" if self.ingest is None and self.ingest_error is None else " ingest=..."
        return (
            f"<UploadReport uploaded={len(self.uploaded)} skipped={len(self.skipped)} "
            f"failed={len(self.failed)}{ingest}>"
        )


class _Found(NamedTuple):
    path: Path
    name: str  # relative to the folder, with "/": the filename sent
    size: int


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
            yield _Found(path, name, entry.stat(follow_symlinks=False).st_size)

    def total(self) -> int:
        """The size of every file to upload: a first walk, which only stats."""
        return sum(item.size for item in self.walk() if isinstance(item, _Found))


def _take(items: Iterator[_Found | SkippedFile | FailedFile], count: int) -> list[Any]:
    return list(itertools.islice(items, count))


class _Progress:
    """The bytes sent of every file, summed; calls `callback` one at a time (from any thread).

    Counted per file up to the most it reached, so a body sent again adds nothing until it
    gets further: `done_bytes` never goes back.
    """

    __slots__ = ("_callback", "_lock", "done", "total")

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
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


class _Results:
    __slots__ = ("failed", "skipped", "uploaded")

    def __init__(self) -> None:
        self.uploaded: list[UploadedFile] = []
        self.skipped: list[SkippedFile] = []
        self.failed: list[FailedFile] = []

    def add(self, item: UploadedFile | SkippedFile | FailedFile) -> None:
        if isinstance(item, UploadedFile):
            self.uploaded.append(item)
        elif isinstance(item, SkippedFile):
            self.skipped.append(item)
        else:
            self.failed.append(item)

    def report(self, ingest: Any = None, ingest_error: Exception | None = None) -> UploadReport:
        def by_path(item: tuple[Path, Any]) -> Path:
            return item[0]

        return UploadReport(
            tuple(sorted(self.uploaded, key=by_path)),
            tuple(sorted(self.skipped, key=by_path)),
            tuple(sorted(self.failed, key=by_path)),
            ingest,
            ingest_error,
        )


def _check_concurrency(concurrency: int) -> None:
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")


class _Uploads(Protocol):
    """What FolderUploads needs of the namespace it is mixed into (FileUpload)."""

    @property
    def _client(self) -> Any: ...

    def upload_content(
        self, datasource_id: str, *, files: FileInput | Sequence[FileInput] | None = None
    ) -> UploadContentResponse: ...


class _AsyncUploads(Protocol):
    @property
    def _client(self) -> Any: ...

    async def upload_content(
        self, datasource_id: str, *, files: FileInput | Sequence[FileInput] | None = None
    ) -> UploadContentResponse: ...


def _reporting(callback: ProgressCallback | None) -> AbstractContextManager[None]:
    from ._multipart import upload_progress

    return upload_progress(callback)


def _upload_one(
    resource: _Uploads, datasource_id: str, found: _Found, progress: _Progress
) -> UploadedFile | FailedFile:
    try:
        with _reporting(progress.of_file()):
            response = resource.upload_content(
                datasource_id, files=[(found.name, os.fspath(found.path))]
            )
    except Exception as error:  # recorded: one file's failure never stops the others
        return FailedFile(found.path, error)
    return UploadedFile(found.path, response)


class FolderUploads:
    """`upload_folder` and `upload_file`, on `client.file_upload`."""

    __slots__ = ()

    def upload_file(
        self: _Uploads,
        datasource_id: str,
        file: FileInput,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> UploadContentResponse:
        """Upload one file (a path, bytes, a binary file object or a (filename, content[, type])
        tuple) with `upload_content`, calling `on_progress(done_bytes, total_bytes,
        current_file)` as its content is sent."""
        with _reporting(on_progress):
            return self.upload_content(datasource_id, files=[file])

    def upload_folder(
        self: _Uploads,
        datasource_id: str,
        folder: str | os.PathLike[str],
        *,
        pattern: str = "**/*",
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        trigger_ingest: bool = False,
        include_hidden: bool = False,
    ) -> UploadReport:
        """Upload every file of `folder` matching `pattern`, `concurrency` at a time.

        `pattern` is a glob on the path relative to the folder (`**` spans directories:
        `"**/*.pdf"`; `"*.pdf"` is the top level only). `on_progress(done_bytes, total_bytes,
        current_file)` reports bytes sent over all files (`total_bytes` measured before the
        first upload); `trigger_ingest=True` then triggers ingestion of the datasource once,
        if a file was uploaded. Failures are recorded in the report, not raised; a folder that
        is missing or not a directory raises at once.
        """
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        _check_concurrency(concurrency)
        source = _Folder(folder, pattern, include_hidden)
        progress = _Progress(on_progress, source.total())
        results = _Results()
        with ThreadPoolExecutor(concurrency, thread_name_prefix="meibel-upload") as pool:
            running: set[Future[UploadedFile | FailedFile]] = set()
            for item in source.walk():
                if not isinstance(item, _Found):
                    results.add(item)
                    continue
                if len(running) >= concurrency:
                    finished, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        results.add(future.result())
                running.add(pool.submit(_upload_one, self, datasource_id, item, progress))
            for future in wait(running).done:
                results.add(future.result())
        if not (trigger_ingest and results.uploaded):
            return results.report()
        try:
            ingest = self._client.ingest.trigger_ingest(datasource_id)
        except Exception as error:
            return results.report(ingest_error=error)
        return results.report(ingest)


class AsyncFolderUploads:
    """`upload_folder` and `upload_file`, on `AsyncMeibelClient.file_upload`."""

    __slots__ = ()

    async def upload_file(
        self: _AsyncUploads,
        datasource_id: str,
        file: FileInput,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> UploadContentResponse:
        """Upload one file with `upload_content`, reporting progress (see FolderUploads)."""
        with _reporting(on_progress):
            return await self.upload_content(datasource_id, files=[file])

    async def upload_folder(
        self: _AsyncUploads,
        datasource_id: str,
        folder: str | os.PathLike[str],
        *,
        pattern: str = "**/*",
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        trigger_ingest: bool = False,
        include_hidden: bool = False,
    ) -> UploadReport:
        """Upload every file of `folder` matching `pattern`, `concurrency` tasks at a time
        (see FolderUploads.upload_folder). The walk runs in worker threads."""
        import anyio
        from anyio.to_thread import run_sync

        _check_concurrency(concurrency)
        source = _Folder(folder, pattern, include_hidden)
        progress = _Progress(on_progress, await run_sync(source.total))
        results = _Results()
        slots = anyio.Semaphore(concurrency)

        async def upload(found: _Found) -> None:
            try:
                with _reporting(progress.of_file()):
                    response = await self.upload_content(
                        datasource_id, files=[(found.name, os.fspath(found.path))]
                    )
            except Exception as error:  # recorded: one file's failure never stops the others
                results.add(FailedFile(found.path, error))
            else:
                results.add(UploadedFile(found.path, response))
            finally:
                slots.release()

        walk = source.walk()
        try:
            async with anyio.create_task_group() as group:
                while batch := await run_sync(_take, walk, _WALK_BATCH):
                    for item in batch:
                        if not isinstance(item, _Found):
                            results.add(item)
                            continue
                        await slots.acquire()
                        group.start_soon(upload, item)
        finally:
            walk.close()
        if not (trigger_ingest and results.uploaded):
            return results.report()
        try:
            ingest = await self._client.ingest.trigger_ingest(datasource_id)
        except Exception as error:
            return results.report(ingest_error=error)
        return results.report(ingest)
