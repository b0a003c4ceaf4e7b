"""Waiters: follow a job until it ends, as methods of the namespaces that start jobs.

| waiter | follows | returns |
| --- | --- | --- |
| `documents.wait(job_id)` | streamDocumentTrace, else polls getDocumentStatus | DocumentStatus |
| `documents.wait_for_deep_transform(job_id)` | polls getDeepTransformStatus | DeepTransformJob |
| `ingest.wait(datasource_id)` | polls getIngestStatus | IngestStatusResponse |
| `confidence_scoring.wait(job_id)` | polls getScoringJob | ScoringJobResponse |
| `datasource_downloads.wait(job_id, *, datasource_id)` | streamDownloadProgress | its last event |
| `file_upload.wait(upload_id)` | streamUploadProgress | its last event |

The spec has no status operation for download jobs and uploads: their waiters follow the
progress stream, and open it again (after a pause) when it ends without a terminal event.

Each mixin only says which job, which status operation and which stream; the state machine that
decides every step, and the drivers that do them, are in meibel/_waiting.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, Protocol

from ._waiting import (
    OUTCOMES,
    Budget,
    Job,
    Waiter,
    auntil_event,
    auntil_status,
    until_event,
    until_status,
)

if TYPE_CHECKING:
    from ._generated import (
        DeepTransformJob,
        DocumentStatus,
        IngestStatusResponse,
        ScoringJobResponse,
        StreamDocumentTraceResponse200,
        StreamDownloadProgressResponse200,
        StreamUploadProgressResponse200,
    )
    from ._streaming import AsyncEventStream, EventStream, StreamEvent

__all__ = [
    "AsyncConfidenceScoringWaiters",
    "AsyncDatasourceDownloadsWaiters",
    "AsyncDocumentsWaiters",
    "AsyncFileUploadWaiters",
    "AsyncIngestWaiters",
    "ConfidenceScoringWaiters",
    "DatasourceDownloadsWaiters",
    "DocumentsWaiters",
    "FileUploadWaiters",
    "IngestWaiters",
]

TIMEOUT: Final = 600.0
"""Default total wait, in seconds."""
POLL_INTERVAL: Final = 1.0
"""Default first pause between two status requests, in seconds; it doubles after each one."""

# IngestStatus is an enum in the spec: each of its values, decided
# (tests/waiters/test_waiter_state_machine.py checks that none is missing, so a spec bump that adds
# one makes someone decide it). None: not yet.
INGEST_OUTCOMES: Final[Mapping[str, bool | None]] = {
    "completed": True,
    "failed": False,
    "canceled": False,
    "terminated": False,
    "timed_out": False,
    "not_started": None,
    "running": None,
    "unknown": None,
}

_DOCUMENT = Job("document job", polls=True, streams=True, outcomes=OUTCOMES)
_DEEP_TRANSFORM = Job("deep-transform job", polls=True, streams=False, outcomes=OUTCOMES)
_INGEST = Job("ingest of datasource", polls=True, streams=False, outcomes=INGEST_OUTCOMES)
_SCORING = Job("scoring job", polls=True, streams=False, outcomes=OUTCOMES)
_DOWNLOAD = Job("download job", polls=False, streams=True, outcomes=OUTCOMES)
_UPLOAD = Job("upload", polls=False, streams=True, outcomes=OUTCOMES)

# `self` is the generated namespace: these protocols are the generated methods a waiter calls.


class _Documents(Protocol):
    def get_document_status(self, job_id: str, *, deadline: Budget = ...) -> DocumentStatus: ...
    def stream_document_trace(
        self, job_id: str, *, deadline: Budget = ...
    ) -> EventStream[StreamDocumentTraceResponse200]: ...
    def get_deep_transform_status(
        self, job_id: str, *, deadline: Budget = ...
    ) -> DeepTransformJob: ...


class _AsyncDocuments(Protocol):
    async def get_document_status(
        self, job_id: str, *, deadline: Budget = ...
    ) -> DocumentStatus: ...
    async def stream_document_trace(
        self, job_id: str, *, deadline: Budget = ...
    ) -> AsyncEventStream[StreamDocumentTraceResponse200]: ...
    async def get_deep_transform_status(
        self, job_id: str, *, deadline: Budget = ...
    ) -> DeepTransformJob: ...


class _Ingest(Protocol):
    def get_ingest_status(
        self, datasource_id: str, *, deadline: Budget = ...
    ) -> IngestStatusResponse: ...


class _AsyncIngest(Protocol):
    async def get_ingest_status(
        self, datasource_id: str, *, deadline: Budget = ...
    ) -> IngestStatusResponse: ...


class _ConfidenceScoring(Protocol):
    def get_scoring_job(self, job_id: str, *, deadline: Budget = ...) -> ScoringJobResponse: ...


class _AsyncConfidenceScoring(Protocol):
    async def get_scoring_job(
        self, job_id: str, *, deadline: Budget = ...
    ) -> ScoringJobResponse: ...


class _DatasourceDownloads(Protocol):
    def stream_download_progress(
        self, job_id: str, *, datasource_id: str | None = ..., deadline: Budget = ...
    ) -> EventStream[StreamDownloadProgressResponse200]: ...


class _AsyncDatasourceDownloads(Protocol):
    async def stream_download_progress(
        self, job_id: str, *, datasource_id: str | None = ..., deadline: Budget = ...
    ) -> AsyncEventStream[StreamDownloadProgressResponse200]: ...


class _FileUpload(Protocol):
    def stream_upload_progress(
        self, upload_id: str, *, deadline: Budget = ...
    ) -> EventStream[StreamUploadProgressResponse200]: ...


class _AsyncFileUpload(Protocol):
    async def stream_upload_progress(
        self, upload_id: str, *, deadline: Budget = ...
    ) -> AsyncEventStream[StreamUploadProgressResponse200]: ...


class DocumentsWaiters:
    """`client.documents.wait(job_id)` and `client.documents.wait_for_deep_transform(job_id)`."""

    __slots__ = ()

    def wait(
        self: _Documents,
        job_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[
            [DocumentStatus | StreamEvent[StreamDocumentTraceResponse200]], object
        ]
        | None = None,
    ) -> DocumentStatus:
        """Wait for a parse job (`parse_document`) to end, and return its terminal status.

        Follows `stream_document_trace`, and polls `get_document_status` when the stream is not
        available or ends; the status operation has the last word. `on_progress` gets each
        event and each new status. Raises JobFailedError, or JobTimeoutError after `timeout`
        seconds (None: no limit).
        """
        waiter = Waiter(
            _DOCUMENT, job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )
        return until_status(
            waiter,
            lambda left: self.get_document_status(job_id, deadline=left),
            lambda left: self.stream_document_trace(job_id, deadline=left),
        )

    def wait_for_deep_transform(
        self: _Documents,
        job_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[DeepTransformJob], object] | None = None,
    ) -> DeepTransformJob:
        """Poll `get_deep_transform_status` until the job ends; its terminal DeepTransformJob.

        Raises JobFailedError, or JobTimeoutError after `timeout` seconds (None: no limit).
        """
        waiter = Waiter(
            _DEEP_TRANSFORM,
            job_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )
        return until_status(
            waiter, lambda left: self.get_deep_transform_status(job_id, deadline=left)
        )


class AsyncDocumentsWaiters:
    """`await client.documents.wait(job_id)` and `await ....wait_for_deep_transform(job_id)`."""

    __slots__ = ()

    async def wait(
        self: _AsyncDocuments,
        job_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[
            [DocumentStatus | StreamEvent[StreamDocumentTraceResponse200]], object
        ]
        | None = None,
    ) -> DocumentStatus:
        """Wait for a parse job to end, and return its terminal status (see the sync twin)."""
        waiter = Waiter(
            _DOCUMENT, job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )
        return await auntil_status(
            waiter,
            lambda left: self.get_document_status(job_id, deadline=left),
            lambda left: self.stream_document_trace(job_id, deadline=left),
        )

    async def wait_for_deep_transform(
        self: _AsyncDocuments,
        job_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[DeepTransformJob], object] | None = None,
    ) -> DeepTransformJob:
        """Poll `get_deep_transform_status` until the job ends (see the sync twin)."""
        waiter = Waiter(
            _DEEP_TRANSFORM,
            job_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )
        return await auntil_status(
            waiter, lambda left: self.get_deep_transform_status(job_id, deadline=left)
        )


class IngestWaiters:
    """`client.ingest.wait(datasource_id)`."""

    __slots__ = ()

    def wait(
        self: _Ingest,
        datasource_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[IngestStatusResponse], object] | None = None,
    ) -> IngestStatusResponse:
        """Poll `get_ingest_status` until the datasource's ingest run ends; its terminal status.

        Terminal states are IngestStatus's: completed; failed, canceled, terminated, timed_out
        (JobFailedError). Raises JobTimeoutError after `timeout` seconds (None: no limit).
        """
        waiter = Waiter(
            _INGEST,
            datasource_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )
        return until_status(
            waiter, lambda left: self.get_ingest_status(datasource_id, deadline=left)
        )


class AsyncIngestWaiters:
    """`await client.ingest.wait(datasource_id)`."""

    __slots__ = ()

    async def wait(
        self: _AsyncIngest,
        datasource_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[IngestStatusResponse], object] | None = None,
    ) -> IngestStatusResponse:
        """Poll `get_ingest_status` until the ingest run ends (see the sync twin)."""
        waiter = Waiter(
            _INGEST,
            datasource_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )
        return await auntil_status(
            waiter, lambda left: self.get_ingest_status(datasource_id, deadline=left)
        )


class ConfidenceScoringWaiters:
    """`client.confidence_scoring.wait(job_id)`."""

    __slots__ = ()

    def wait(
        self: _ConfidenceScoring,
        job_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[ScoringJobResponse], object] | None = None,
    ) -> ScoringJobResponse:
        """Poll `get_scoring_job` until the job ends; its terminal ScoringJobResponse.

        Raises JobFailedError (failed, not_run), or JobTimeoutError after `timeout` seconds.
        """
        waiter = Waiter(
            _SCORING, job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )
        return until_status(waiter, lambda left: self.get_scoring_job(job_id, deadline=left))


class AsyncConfidenceScoringWaiters:
    """`await client.confidence_scoring.wait(job_id)`."""

    __slots__ = ()

    async def wait(
        self: _AsyncConfidenceScoring,
        job_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[ScoringJobResponse], object] | None = None,
    ) -> ScoringJobResponse:
        """Poll `get_scoring_job` until the job ends (see the sync twin)."""
        waiter = Waiter(
            _SCORING, job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )
        return await auntil_status(waiter, lambda left: self.get_scoring_job(job_id, deadline=left))


class DatasourceDownloadsWaiters:
    """`client.datasource_downloads.wait(job_id, *, datasource_id)`."""

    __slots__ = ()

    def wait(
        self: _DatasourceDownloads,
        job_id: str,
        *,
        datasource_id: str | None = None,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[StreamEvent[StreamDownloadProgressResponse200]], object]
        | None = None,
    ) -> StreamEvent[StreamDownloadProgressResponse200]:
        """Follow `stream_download_progress` until the job ends; its terminal event.

        `datasource_id` is keyword-only, like every parent id; omitted, the client's default.

        The spec has no status operation for download jobs: a stream that ends without a
        terminal event is opened again after a pause. Raises JobFailedError (an `error` or
        `failed` event), or JobTimeoutError after `timeout` seconds (None: no limit).
        """
        waiter = Waiter(
            _DOWNLOAD, job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )
        return until_event(
            waiter,
            lambda left: self.stream_download_progress(
                job_id, datasource_id=datasource_id, deadline=left
            ),
        )


class AsyncDatasourceDownloadsWaiters:
    """`await client.datasource_downloads.wait(job_id, *, datasource_id)`."""

    __slots__ = ()

    async def wait(
        self: _AsyncDatasourceDownloads,
        job_id: str,
        *,
        datasource_id: str | None = None,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[StreamEvent[StreamDownloadProgressResponse200]], object]
        | None = None,
    ) -> StreamEvent[StreamDownloadProgressResponse200]:
        """Follow `stream_download_progress` until the job ends (see the sync twin)."""
        waiter = Waiter(
            _DOWNLOAD, job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )
        return await auntil_event(
            waiter,
            lambda left: self.stream_download_progress(
                job_id, datasource_id=datasource_id, deadline=left
            ),
        )


class FileUploadWaiters:
    """`client.file_upload.wait(upload_id)`."""

    __slots__ = ()

    def wait(
        self: _FileUpload,
        upload_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[StreamEvent[StreamUploadProgressResponse200]], object] | None = None,
    ) -> StreamEvent[StreamUploadProgressResponse200]:
        """Follow `stream_upload_progress` until the upload ends (`stream_complete`); that event.

        The spec has no status operation for uploads: a stream that ends without a terminal
        event is opened again after a pause. Raises JobFailedError (an `error` or `failed`
        event), or JobTimeoutError after `timeout` seconds (None: no limit).
        """
        waiter = Waiter(
            _UPLOAD,
            upload_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )
        return until_event(
            waiter, lambda left: self.stream_upload_progress(upload_id, deadline=left)
        )


class AsyncFileUploadWaiters:
    """`await client.file_upload.wait(upload_id)`."""

    __slots__ = ()

    async def wait(
        self: _AsyncFileUpload,
        upload_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[StreamEvent[StreamUploadProgressResponse200]], object] | None = None,
    ) -> StreamEvent[StreamUploadProgressResponse200]:
        """Follow `stream_upload_progress` until the upload ends (see the sync twin)."""
        waiter = Waiter(
            _UPLOAD,
            upload_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )
        return await auntil_event(
            waiter, lambda left: self.stream_upload_progress(upload_id, deadline=left)
        )
