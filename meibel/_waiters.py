"""Waiters: follow a job until it ends. One table (WAITERS) declares every one of them.

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

`make regen` prints each entry as a typed method (sync and async) of its namespace
(openapi/templates/meibel_waiters.jinja): its signature, return type and docstring come from
here and from the operations it calls. meibel/_needs.py derives from the table what the waiters
need of the spec, and scripts/overlay_checks.py refuses a spec that breaks it. The state machine
that decides every step, and the drivers that do them, are in meibel/_waiting.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ._waiting import OUTCOMES, Budget, Job, Waiter, adrive, drive

__all__ = [
    "INGEST_OUTCOMES",
    "POLL_INTERVAL",
    "TIMEOUT",
    "WAITERS",
    "WaiterSpec",
    "await_job",
    "wait_job",
]

TIMEOUT: Final = 600.0
"""Default total wait, in seconds."""
POLL_INTERVAL: Final = 1.0
"""Default first pause between two status requests, in seconds; it doubles after each one."""

# IngestStatus is an enum in the spec: each of its values, decided (scripts/overlay_checks.py
# refuses a spec whose enum has one that is not, so a bump that adds one makes someone decide it).
# None: not yet.
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


@dataclass(frozen=True)
class WaiterSpec:
    """One waiter: `client.<namespace>.<method>(<positional>, *, <keyword_only>)`.

    It polls the `status` operation, follows the `stream` operation, or both (the stream first;
    the status operation has the last word). With a status operation it returns that operation's
    answer, the model `model`, whose `state` field holds the job's state (decided by `outcomes`;
    typed by the spec as the enum `enum` when given, else as a string) and whose `error` field (if
    any) the server's error message; without one, the stream's terminal event.
    """

    namespace: str
    method: str
    noun: str  # names the job in messages: "document job job_1 ended with ..."
    positional: str  # the job's id, taken by position
    doc: str  # the sync method's docstring
    async_doc: str  # the async twin's
    keyword_only: tuple[str, ...] = ()  # parent ids, keyword-only (as the operations take them)
    status: str | None = None  # operationId of the status operation polled
    stream: str | None = None  # operationId of the progress stream followed
    model: str | None = None  # the status operation's answer (a spec schema name)
    state: str = "status"
    error: str | None = None
    enum: str | None = None
    outcomes: Mapping[str, bool | None] = field(default_factory=lambda: OUTCOMES)

    @property
    def key(self) -> str:
        return f"{self.namespace}.{self.method}"

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.positional, *self.keyword_only)

    @property
    def job(self) -> Job:
        return Job(
            self.noun,
            polls=self.status is not None,
            streams=self.stream is not None,
            outcomes=self.outcomes,
            error_field=self.error,
        )


WAITERS: Final[tuple[WaiterSpec, ...]] = (
    WaiterSpec(
        "documents",
        "wait",
        "document job",
        "job_id",
        status="getDocumentStatus",
        stream="streamDocumentTrace",
        model="DocumentStatus",
        error="error",
        doc="Wait for a parse job (`parse_document`) to end, and return its terminal status.\n\n"
        "Follows `stream_document_trace`, and polls `get_document_status` when the stream is not\n"
        "available or ends; the status operation has the last word. `on_progress` gets each\n"
        "event and each new status. Raises JobFailedError, or JobTimeoutError after `timeout`\n"
        "seconds (None: no limit).",
        async_doc="Wait for a parse job to end, and return its terminal status (see the sync "
        "twin).",
    ),
    WaiterSpec(
        "documents",
        "wait_for_deep_transform",
        "deep-transform job",
        "job_id",
        status="getDeepTransformStatus",
        model="DeepTransformJob",
        error="error",
        doc="Poll `get_deep_transform_status` until the job ends; its terminal "
        "DeepTransformJob.\n\n"
        "Raises JobFailedError, or JobTimeoutError after `timeout` seconds (None: no limit).",
        async_doc="Poll `get_deep_transform_status` until the job ends (see the sync twin).",
    ),
    WaiterSpec(
        "ingest",
        "wait",
        "ingest of datasource",
        "datasource_id",
        status="getIngestStatus",
        model="IngestStatusResponse",
        enum="IngestStatus",
        outcomes=INGEST_OUTCOMES,
        doc="Poll `get_ingest_status` until the datasource's ingest run ends; its terminal status."
        "\n\nTerminal states are IngestStatus's: completed; failed, canceled, terminated, "
        "timed_out\n(JobFailedError). Raises JobTimeoutError after `timeout` seconds (None: no "
        "limit).",
        async_doc="Poll `get_ingest_status` until the ingest run ends (see the sync twin).",
    ),
    WaiterSpec(
        "confidence_scoring",
        "wait",
        "scoring job",
        "job_id",
        status="getScoringJob",
        model="ScoringJobResponse",
        error="explanation",  # a failed scoring job explains itself there
        doc="Poll `get_scoring_job` until the job ends; its terminal ScoringJobResponse.\n\n"
        "Raises JobFailedError (failed, not_run), or JobTimeoutError after `timeout` seconds.",
        async_doc="Poll `get_scoring_job` until the job ends (see the sync twin).",
    ),
    WaiterSpec(
        "datasource_downloads",
        "wait",
        "download job",
        "job_id",
        keyword_only=("datasource_id",),
        stream="streamDownloadProgress",
        doc="Follow `stream_download_progress` until the job ends; its terminal event.\n\n"
        "`datasource_id` is keyword-only, like every parent id; omitted, the client's default.\n\n"
        "The spec has no status operation for download jobs: a stream that ends without a\n"
        "terminal event is opened again after a pause. Raises JobFailedError (an `error` or\n"
        "`failed` event), or JobTimeoutError after `timeout` seconds (None: no limit).",
        async_doc="Follow `stream_download_progress` until the job ends (see the sync twin).",
    ),
    WaiterSpec(
        "file_upload",
        "wait",
        "upload",
        "upload_id",
        stream="streamUploadProgress",
        doc="Follow `stream_upload_progress` until the upload ends (`stream_complete`); that "
        "event.\n\n"
        "The spec has no status operation for uploads: a stream that ends without a terminal\n"
        "event is opened again after a pause. Raises JobFailedError (an `error` or `failed`\n"
        "event), or JobTimeoutError after `timeout` seconds (None: no limit).",
        async_doc="Follow `stream_upload_progress` until the upload ends (see the sync twin).",
    ),
)

_BY_KEY: Final = {spec.key: spec for spec in WAITERS}
_JOBS: Final = {spec.key: spec.job for spec in WAITERS}
_DOCUMENT: Final = _JOBS["documents.wait"]
_UPLOAD: Final = _JOBS["file_upload.wait"]


def _waiter(
    key: str,
    job_id: str,
    timeout: float | None,
    poll_interval: float,
    on_progress: Callable[[Any], object] | None,
) -> Waiter:
    return Waiter(
        _JOBS[key], job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
    )


def wait_job(
    key: str,
    job_id: str,
    timeout: float | None,
    poll_interval: float,
    on_progress: Callable[[Any], object] | None,
    poll: Callable[[Budget], Any] | None,
    follow: Callable[[Budget], Any] | None,
) -> Any:
    """Run the waiter `key` ("documents.wait") with blocking calls: its terminal answer."""
    return drive(_waiter(key, job_id, timeout, poll_interval, on_progress), poll, follow)


async def await_job(
    key: str,
    job_id: str,
    timeout: float | None,
    poll_interval: float,
    on_progress: Callable[[Any], object] | None,
    poll: Callable[[Budget], Awaitable[Any]] | None,
    follow: Callable[[Budget], Awaitable[Any]] | None,
) -> Any:
    """The same with awaited calls."""
    waiter = _waiter(key, job_id, timeout, poll_interval, on_progress)
    return await adrive(waiter, poll, follow)
