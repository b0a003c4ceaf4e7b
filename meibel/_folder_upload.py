"""Uploads of many files to a datasource, one uploadContent call per file.

`client.file_upload.upload_folder(...)` walks the folder lazily (os.scandir, one directory open at
a time; an fsspec URL: meibel/_fsspec_files.py) and keeps at most `concurrency` uploads in flight:
threads when sync, tasks when async (meibel/_folder_runs.py runs them, and stops them on an
interrupt). Files stream from disk (MultipartBody), so memory does not grow with their size. Each
file is sent with its path relative to the folder as its filename. `upload_files(...)` does the
same for any iterable of files, taken lazily (meibel/_upload_sources.py). A failed file is
recorded and the others go on; the UploadReport says what was uploaded, skipped, failed, and
after an interrupt what was in flight and what was never started. What the walk skips, and the
report's types, are in meibel/_folder_walk.py.

Progress comes from the multipart bodies themselves: each upload's body is built inside
`upload_progress(...)` and reports the bytes it hands to the connection; `_Progress` sums them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ._folder_walk import (
    FailedFile,
    InFlightFile,
    SkippedFile,
    UploadedFile,
    UploadInterrupted,
    UploadReport,
    _Folder,
    _Progress,
    _Source,
)

# ._folder_runs and ._multipart load with the first upload, not with the namespace.
if TYPE_CHECKING:
    from ._download import ProgressCallback
    from ._generated import UploadContentResponse
    from ._journal import Journal, JournaledFolder
    from ._multipart import FileInput
    from ._upload_rounds import _AsyncUploads, _Uploads

__all__ = [
    "AsyncFolderUploads",
    "FailedFile",
    "FolderUploads",
    "InFlightFile",
    "SkippedFile",
    "UploadInterrupted",
    "UploadReport",
    "UploadedFile",
]


def _check_concurrency(concurrency: int) -> None:
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")


def _with_ingest(
    report: UploadReport, ingest: Any = None, error: Exception | None = None
) -> UploadReport:
    return replace(report, ingest=ingest, ingest_error=error)


class _Walk(_Source, Protocol):
    def total(self) -> int: ...


_S = TypeVar("_S", bound=_Source)


def _journaled(
    source: _S, datasource_id: str, journal: str | os.PathLike[str] | None
) -> tuple[_S | JournaledFolder, Journal | None]:
    """`source` without what `journal` has stored already (and the journal, open)."""
    if journal is None:
        return source, None
    from ._journal import Journal, JournaledFolder

    opened = Journal(journal, datasource_id)
    return JournaledFolder(source, opened), opened


def _source(
    datasource_id: str,
    folder: str | os.PathLike[str],
    pattern: str,
    include_hidden: bool,
    journal: str | os.PathLike[str] | None,
) -> tuple[_Walk, Journal | None]:
    """The folder's walk (an fsspec URL's too), without what `journal` has stored already."""
    source: _Walk
    if isinstance(folder, str):
        from ._fsspec_files import RemoteFolder, is_url, local_path

        if is_url(folder):
            source = RemoteFolder(folder, pattern, include_hidden)
        else:
            source = _Folder(local_path(folder), pattern, include_hidden)
    else:
        source = _Folder(folder, pattern, include_hidden)
    return _journaled(source, datasource_id, journal)


def _files(
    datasource_id: str, files: Iterable[FileInput], journal: str | os.PathLike[str] | None
) -> tuple[_Source, Journal | None]:
    from ._upload_sources import FileList

    return _journaled(FileList(files, journaled=journal is not None), datasource_id, journal)


def _run(
    resource: _Uploads,
    datasource_id: str,
    source: _Source,
    journal: Journal | None,
    total: Callable[[], int] | None,
    concurrency: int,
    on_progress: ProgressCallback | None,
    trigger_ingest: bool,
    method: str,
) -> UploadReport:
    from ._folder_runs import Ledger, interrupted, run_threads

    ledger = Ledger()
    try:
        progress = _Progress(on_progress, None if total is None else total())
        run_threads(resource, datasource_id, source, progress, concurrency, ledger, journal)
    except BaseException as error:
        if isinstance(error, Exception):
            raise
        ledger.list_rest(source)
        interrupted(error, ledger.report(), method)
    finally:
        if journal is not None:
            journal.close()
    report = ledger.report()
    if not (trigger_ingest and report.uploaded):
        return report
    try:
        ingest = resource._client.ingest.trigger_ingest(datasource_id)
    except Exception as error:
        return _with_ingest(report, error=error)
    except BaseException as error:  # the uploads are done: the report says so
        interrupted(error, report, method)
    return _with_ingest(report, ingest)


async def _run_async(
    resource: _AsyncUploads,
    datasource_id: str,
    source: _Source,
    journal: Journal | None,
    total: Callable[[], int] | None,
    concurrency: int,
    on_progress: ProgressCallback | None,
    trigger_ingest: bool,
    method: str,
) -> UploadReport:
    import anyio
    from anyio.to_thread import run_sync

    from ._folder_runs import Ledger, interrupted, run_tasks

    ledger = Ledger()
    try:
        progress = _Progress(on_progress, None if total is None else await run_sync(total))
        await run_tasks(resource, datasource_id, source, progress, concurrency, ledger, journal)
    except BaseException as error:
        if isinstance(error, Exception):
            raise
        with anyio.CancelScope(shield=True):
            await run_sync(ledger.list_rest, source)
        interrupted(error, ledger.report(), method)
    finally:
        if journal is not None:
            journal.close()
    report = ledger.report()
    if not (trigger_ingest and report.uploaded):
        return report
    try:
        ingest = await resource._client.ingest.trigger_ingest(datasource_id)
    except Exception as error:
        return _with_ingest(report, error=error)
    except BaseException as error:  # the uploads are done: the report says so
        interrupted(error, report, method)
    return _with_ingest(report, ingest)


class FolderUploads:
    """`upload_folder`, `upload_files` and `upload_file`, on `client.file_upload`."""

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
        from ._multipart import upload_progress

        with upload_progress(on_progress):
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
        journal: str | os.PathLike[str] | None = None,
    ) -> UploadReport:
        """Upload every file of `folder` matching `pattern`, `concurrency` at a time.

        `folder` is a local folder or an fsspec URL (`s3://bucket/prefix`, `memory://corpus`:
        the `[fsspec]` extra). `pattern` is a glob on the path relative to the folder (`**`
        spans directories: `"**/*.pdf"`; `"*.pdf"` is the top level only).
        `on_progress(done_bytes, total_bytes, current_file)` reports bytes sent over all files
        (`total_bytes` measured before the first upload); `trigger_ingest=True` then triggers
        ingestion of the datasource once, if a file was uploaded. Failures are recorded in the
        report, not raised; a folder that is missing or not a directory raises at once. Ctrl-C
        stops every upload at once and raises UploadInterrupted (also a KeyboardInterrupt)
        carrying the report so far.

        `journal`: a file recording each file as the server stores it (JSON lines, appended and
        flushed per file, so a killed run loses at most what was in flight). A rerun with it
        skips what is recorded for this datasource with the same size and mtime or content
        (SkippedFile "already uploaded (journal)") and uploads the rest.
        """
        _check_concurrency(concurrency)
        source, journaled = _source(datasource_id, folder, pattern, include_hidden, journal)
        return _run(
            self,
            datasource_id,
            source,
            journaled,
            source.total,
            concurrency,
            on_progress,
            trigger_ingest,
            "upload_folder",
        )

    def upload_files(
        self: _Uploads,
        datasource_id: str,
        files: Iterable[FileInput],
        *,
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        trigger_ingest: bool = False,
        journal: str | os.PathLike[str] | None = None,
    ) -> UploadReport:
        """Upload every file of `files`, `concurrency` at a time, as `upload_folder` does.

        `files` is any iterable, taken lazily (a generator is never listed up front, so
        `total_bytes` is None): paths (sent under their own name), fsspec URLs, and
        `(name, file)` or `(name, file, content_type)` pairs, `file` a path, URL, bytes or
        binary file object. A name used twice, a missing file or an item of another type
        fails that item only; a directory is skipped.
        """
        _check_concurrency(concurrency)
        source, journaled = _files(datasource_id, files, journal)
        return _run(
            self,
            datasource_id,
            source,
            journaled,
            None,
            concurrency,
            on_progress,
            trigger_ingest,
            "upload_files",
        )


class AsyncFolderUploads:
    """`upload_folder`, `upload_files` and `upload_file`, on `AsyncMeibelClient.file_upload`."""

    __slots__ = ()

    async def upload_file(
        self: _AsyncUploads,
        datasource_id: str,
        file: FileInput,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> UploadContentResponse:
        """Upload one file with `upload_content`, reporting progress (see FolderUploads)."""
        from ._multipart import upload_progress

        with upload_progress(on_progress):
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
        journal: str | os.PathLike[str] | None = None,
    ) -> UploadReport:
        """Upload every file of `folder` matching `pattern`, `concurrency` tasks at a time
        (see FolderUploads.upload_folder). The walk runs in worker threads. Cancelled, it stops
        every upload and re-raises the cancellation, caused by an UploadInterrupted carrying
        the report so far (`UploadInterrupted.find(error)`)."""
        from anyio.to_thread import run_sync

        _check_concurrency(concurrency)
        source, journaled = await run_sync(
            _source, datasource_id, folder, pattern, include_hidden, journal
        )
        return await _run_async(
            self,
            datasource_id,
            source,
            journaled,
            source.total,
            concurrency,
            on_progress,
            trigger_ingest,
            "upload_folder",
        )

    async def upload_files(
        self: _AsyncUploads,
        datasource_id: str,
        files: Iterable[FileInput],
        *,
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        trigger_ingest: bool = False,
        journal: str | os.PathLike[str] | None = None,
    ) -> UploadReport:
        """Upload every file of `files`, `concurrency` tasks at a time (see
        FolderUploads.upload_files). The iterable is read in worker threads, one item at a time."""
        from anyio.to_thread import run_sync

        _check_concurrency(concurrency)
        source, journaled = await run_sync(_files, datasource_id, files, journal)
        return await _run_async(
            self,
            datasource_id,
            source,
            journaled,
            None,
            concurrency,
            on_progress,
            trigger_ingest,
            "upload_files",
        )
