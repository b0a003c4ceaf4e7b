"""Waiters: follow a job until it ends, as methods of the namespaces that start jobs.

| waiter | follows | returns |
| --- | --- | --- |
| `documents.wait(job_id)` | streamDocumentTrace, else polls getDocumentStatus | DocumentStatus |
| `documents.wait_for_deep_transform(job_id)` | polls getDeepTransformStatus | DeepTransformJob |
| `ingest.wait(datasource_id)` | polls getIngestStatus | IngestStatusResponse |
| `confidence_scoring.wait(job_id)` | polls getScoringJob | ScoringJobResponse |
| `datasource_downloads.wait(datasource_id, job_id)` | streamDownloadProgress | its last event |
| `file_upload.wait(upload_id)` | streamUploadProgress | its last event |

The spec has no status operation for download jobs and uploads: their waiters follow the
progress stream, and open it again (after a pause) when it ends without a terminal event.

One I/O-free state machine, `Waiter`, decides every step of every waiter (follow the stream,
poll, sleep n seconds, done, failed, timed out); two drivers do the steps, `_drive` with blocking
calls and `_adrive` with awaited ones and anyio's sleep. The namespace mixins at the bottom only
say which job, which status operation and which stream.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeAlias, TypeVar, cast

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    JobFailedError,
    JobTimeoutError,
    MeibelError,
    StreamEventError,
    StreamInterruptedError,
    StreamStalledError,
)
from ._retry import RetryPolicy, retry_after_seconds
from ._types import NOT_GIVEN, NotGiven

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
    from ._resource import Deadline, Timeout
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
MAX_POLL_INTERVAL: Final = 10.0
"""The longest pause between two status requests (unless `poll_interval` is longer)."""

# The one table of terminal states, for statuses the spec types as plain strings (DocumentStatus,
# DeepTransformJob, ScoringJobResponse) and for the names of stream events. Case-insensitive;
# True: the job succeeded, False: it failed; any other state means "not yet". docs/jobs.md shows it.
OUTCOMES: Final[Mapping[str, bool]] = {
    **dict.fromkeys(
        ("completed", "complete", "succeeded", "success", "done", "finished", "stream_complete"),
        True,
    ),
    # not_run: a scoring job the server decided not to run; it will never have a score.
    **dict.fromkeys(
        ("failed", "failure", "error", "errored", "cancelled", "canceled", "not_run"), False
    ),
}

# IngestStatus is an enum in the spec: each of its values, decided (tests/test_waiters.py checks
# that none is missing, so a spec bump that adds one makes someone decide it). None: not yet.
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

# Answers that say "ask again later", not "the job is gone" (after the client's own retries).
_TRANSIENT_STATUSES = frozenset({408, 429, 502, 503, 504})
_TRANSIENT_ERRORS = (APIConnectionError, StreamInterruptedError, StreamStalledError)

T = TypeVar("T")
E = TypeVar("E")
Budget: TypeAlias = float | NotGiven
"""What is left of the wait for one call: seconds, or NOT_GIVEN (no timeout: the client's)."""


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Done:
    value: Any


POLL: Final = "poll"
FOLLOW: Final = "follow"
Step: TypeAlias = Sleep | Done | Literal["poll", "follow"]


@dataclass(frozen=True, slots=True)
class Job:
    """What a waiter knows of one kind of job."""

    noun: str  # names it in messages: "document job job_1 ..."
    polls: bool  # the spec has a status operation for it
    streams: bool  # the spec has a progress stream for it
    outcomes: Mapping[str, bool | None]  # its statuses' outcomes


_DOCUMENT = Job("document job", polls=True, streams=True, outcomes=OUTCOMES)
_DEEP_TRANSFORM = Job("deep-transform job", polls=True, streams=False, outcomes=OUTCOMES)
_INGEST = Job("ingest of datasource", polls=True, streams=False, outcomes=INGEST_OUTCOMES)
_SCORING = Job("scoring job", polls=True, streams=False, outcomes=OUTCOMES)
_DOWNLOAD = Job("download job", polls=False, streams=True, outcomes=OUTCOMES)
_UPLOAD = Job("upload", polls=False, streams=True, outcomes=OUTCOMES)

_NOTHING: Any = object()


class Waiter:
    """The next step of a wait, given what the job said so far. No I/O: the drivers do that.

    `clock` is injectable for tests. The drivers call `start()`, then after each step the method
    for what happened: `polled(status)`, `event(event)` (None: keep reading), `stream_ended()`,
    `failed(error)` (None: re-raise it), `woke()`.
    """

    def __init__(
        self,
        job: Job,
        job_id: str,
        *,
        timeout: float | None,
        poll_interval: float,
        on_progress: Callable[[Any], object] | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not poll_interval > 0:
            raise ValueError(f"poll_interval must be positive, not {poll_interval!r}")
        if timeout is not None and not timeout >= 0:
            raise ValueError(f"timeout must be None or at least 0, not {timeout!r}")
        self.job = job
        self.job_id = job_id
        self.timeout = timeout
        self._clock = clock
        self._deadline = None if timeout is None else clock() + timeout
        self._backoff = RetryPolicy(
            initial_delay=poll_interval, max_delay=max(poll_interval, MAX_POLL_INTERVAL)
        )
        self._pauses = 0
        self._mode: Literal["poll", "follow"] = FOLLOW if job.streams else POLL
        self._on_progress = on_progress
        self.last_status: Any = None
        self._last_state = "none received"
        self._last_error: MeibelError | None = None
        self._seen: object = _NOTHING

    # -- what the drivers ask ---------------------------------------------------------------

    def start(self) -> Step:
        return self._mode

    def budget(self) -> Budget:
        """The time left, for the next call's deadline (or a stream's idle timeout).

        Raises JobTimeoutError when none is left: no call is started past the timeout.
        """
        if self._deadline is None:
            return NOT_GIVEN
        left = self._deadline - self._clock()
        if left <= 0:
            raise self._timed_out(None)
        return left

    def polled(self, status: Any) -> Step:
        """A status model arrived."""
        self.last_status = status
        state = str(getattr(status, "status", ""))
        self._last_state = repr(state)
        snapshot = status.to_dict() if hasattr(status, "to_dict") else status
        if snapshot != self._seen:
            self._seen = snapshot
            self._report(status)
        outcome = self.job.outcomes.get(state.lower())
        if outcome:
            return Done(status)
        if outcome is False:
            raise self._job_failed(status, f"status {state!r}", _error_text(status))
        return self._pause(None)

    def event(self, event: StreamEvent[Any]) -> Step | None:
        """An event of the progress stream arrived; None: read on."""
        self.last_status = event
        self._last_state = f"a {event.type!r} event"
        self._seen = _NOTHING
        self._report(event)
        outcome = OUTCOMES.get(_event_name(event).lower())
        if outcome is None:
            self._check_deadline(None)
            return None
        if self.job.polls:
            self._mode = POLL  # the status operation has the terminal model: ask it now
            return POLL
        if outcome:
            return Done(event)
        raise self._job_failed(event, f"a {event.type!r} event", _error_text(event.data))

    def stream_ended(self) -> Step:
        """The stream ended without a terminal event: poll instead, or open it again later."""
        if self.job.polls:
            self._mode = POLL
            return POLL
        return self._pause(None)

    def failed(self, error: MeibelError) -> Step | None:
        """A call failed; None: the error is the caller's (the driver re-raises it)."""
        self._check_deadline(error)
        if isinstance(error, StreamEventError) and not self.job.polls:
            raise self._job_failed(
                error.body, "an 'error' event", _error_text(error.body)
            ) from error
        transient = isinstance(error, _TRANSIENT_ERRORS) or (
            isinstance(error, APIStatusError) and error.status_code in _TRANSIENT_STATUSES
        )
        if self._mode == FOLLOW and self.job.polls:
            # No usable stream (404, 405, 501, an error event, ...): the status operation says.
            self._mode = POLL
            if not transient:
                return POLL
        elif not transient:
            return None
        self._last_error = error
        retry_after = (
            retry_after_seconds(error.response.headers)
            if isinstance(error, APIStatusError)
            else None
        )
        return self._pause(retry_after)

    def woke(self) -> Step:
        """A pause ended."""
        self._check_deadline(None)
        return self._mode

    # -- inside -----------------------------------------------------------------------------

    def next_pause(self) -> float:
        """The backoff's next pause: doubling from poll_interval up to the cap, with jitter."""
        pause = self._backoff.backoff(self._pauses)
        self._pauses += 1
        return pause

    def _pause(self, retry_after: float | None) -> Step:
        seconds = self.next_pause() if retry_after is None else retry_after
        left = self.budget()
        return Sleep(seconds if isinstance(left, NotGiven) else min(seconds, left))

    def _check_deadline(self, cause: BaseException | None) -> None:
        if self._deadline is not None and self._clock() >= self._deadline:
            raise self._timed_out(cause) from cause

    def _report(self, update: object) -> None:
        if self._on_progress is not None:
            self._on_progress(update)

    def _job_failed(self, status: object, what: str, error: str | None) -> JobFailedError:
        message = f"{self.job.noun} {self.job_id} ended with {what}"
        if error:
            message += f": {error}"
        return JobFailedError(message, job_id=self.job_id, status=status, error=error)

    def _timed_out(self, cause: BaseException | None) -> JobTimeoutError:
        timeout = self.timeout or 0.0
        message = (
            f"{self.job.noun} {self.job_id} did not end within the timeout of {timeout:g} s; "
            f"last state seen: {self._last_state}"
        )
        error = cause or self._last_error
        if error is not None:
            message += f"; last error: {error}"
        return JobTimeoutError(
            message, job_id=self.job_id, timeout=timeout, last_status=self.last_status
        )


def _event_name(event: StreamEvent[Any]) -> str:
    """An event's name, or for an unnamed one the `type` (or `event`) its payload gives."""
    if event.type != "message":
        return event.type
    data = event.data
    if isinstance(data, dict):
        name = data.get("type", data.get("event"))
        if isinstance(name, str):
            return name
    return ""


def _error_text(value: object) -> str | None:
    """The server's error message in a status model or an event's payload, if it gave one."""
    if isinstance(value, dict):
        for key in ("error", "message", "detail"):
            found = value.get(key)
            if isinstance(found, dict):
                found = found.get("message", found.get("detail"))
            if isinstance(found, str) and found:
                return found
        return None
    # A scoring job has no `error`: a failed one explains itself in `explanation`.
    for name in ("error", "explanation"):
        found = getattr(value, name, None)  # None, or UNSET when the answer had none
        if isinstance(found, str) and found:
            return found
    return None


# -- the drivers: the same steps, blocking or awaited ---------------------------------------------


def _drive(
    waiter: Waiter,
    poll: Callable[[Budget], Any] | None,
    follow: Callable[[Budget], EventStream[Any]] | None,
) -> Any:
    step = waiter.start()
    while True:
        if isinstance(step, Done):
            return step.value
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            step = waiter.woke()
            continue
        try:
            if step == POLL:
                assert poll is not None
                step = waiter.polled(poll(waiter.budget()))
            else:
                assert follow is not None
                step = _follow(waiter, follow(waiter.budget()))
        except (JobFailedError, JobTimeoutError):
            raise
        except MeibelError as error:
            after = waiter.failed(error)
            if after is None:
                raise
            step = after


def _follow(waiter: Waiter, stream: EventStream[Any]) -> Step:
    with stream:
        for event in stream:
            step = waiter.event(event)
            if step is not None:
                return step
    return waiter.stream_ended()


async def _adrive(
    waiter: Waiter,
    poll: Callable[[Budget], Awaitable[Any]] | None,
    follow: Callable[[Budget], Awaitable[AsyncEventStream[Any]]] | None,
) -> Any:
    import anyio  # here, not at import: only async waits need it

    step = waiter.start()
    while True:
        if isinstance(step, Done):
            return step.value
        if isinstance(step, Sleep):
            await anyio.sleep(step.seconds)
            step = waiter.woke()
            continue
        try:
            if step == POLL:
                assert poll is not None
                step = waiter.polled(await poll(waiter.budget()))
            else:
                assert follow is not None
                step = await _afollow(waiter, await follow(waiter.budget()))
        except (JobFailedError, JobTimeoutError):
            raise
        except MeibelError as error:
            after = waiter.failed(error)
            if after is None:
                raise
            step = after


async def _afollow(waiter: Waiter, stream: AsyncEventStream[Any]) -> Step:
    async with stream:
        async for event in stream:
            step = waiter.event(event)
            if step is not None:
                return step
    return waiter.stream_ended()


# Typed entry points: a job with a status operation ends with its model, one without with an event.


def _until_status(
    waiter: Waiter,
    poll: Callable[[Budget], T],
    follow: Callable[[Budget], EventStream[Any]] | None = None,
) -> T:
    return cast("T", _drive(waiter, poll, follow))


def _until_event(waiter: Waiter, follow: Callable[[Budget], EventStream[E]]) -> StreamEvent[E]:
    return cast("StreamEvent[E]", _drive(waiter, None, follow))


async def _auntil_status(
    waiter: Waiter,
    poll: Callable[[Budget], Awaitable[T]],
    follow: Callable[[Budget], Awaitable[AsyncEventStream[Any]]] | None = None,
) -> T:
    return cast("T", await _adrive(waiter, poll, follow))


async def _auntil_event(
    waiter: Waiter, follow: Callable[[Budget], Awaitable[AsyncEventStream[E]]]
) -> StreamEvent[E]:
    return cast("StreamEvent[E]", await _adrive(waiter, None, follow))


# -- the namespaces' methods ----------------------------------------------------------------------
# `self` is the generated namespace: these protocols are the generated methods a waiter calls.


class _Documents(Protocol):
    def get_document_status(self, job_id: str, *, deadline: Deadline = ...) -> DocumentStatus: ...
    def stream_document_trace(
        self, job_id: str, *, timeout: Timeout = ...
    ) -> EventStream[StreamDocumentTraceResponse200]: ...
    def get_deep_transform_status(
        self, job_id: str, *, deadline: Deadline = ...
    ) -> DeepTransformJob: ...


class _AsyncDocuments(Protocol):
    async def get_document_status(
        self, job_id: str, *, deadline: Deadline = ...
    ) -> DocumentStatus: ...
    async def stream_document_trace(
        self, job_id: str, *, timeout: Timeout = ...
    ) -> AsyncEventStream[StreamDocumentTraceResponse200]: ...
    async def get_deep_transform_status(
        self, job_id: str, *, deadline: Deadline = ...
    ) -> DeepTransformJob: ...


class _Ingest(Protocol):
    def get_ingest_status(
        self, datasource_id: str, *, deadline: Deadline = ...
    ) -> IngestStatusResponse: ...


class _AsyncIngest(Protocol):
    async def get_ingest_status(
        self, datasource_id: str, *, deadline: Deadline = ...
    ) -> IngestStatusResponse: ...


class _ConfidenceScoring(Protocol):
    def get_scoring_job(self, job_id: str, *, deadline: Deadline = ...) -> ScoringJobResponse: ...


class _AsyncConfidenceScoring(Protocol):
    async def get_scoring_job(
        self, job_id: str, *, deadline: Deadline = ...
    ) -> ScoringJobResponse: ...


class _DatasourceDownloads(Protocol):
    def stream_download_progress(
        self, datasource_id: str, job_id: str, *, timeout: Timeout = ...
    ) -> EventStream[StreamDownloadProgressResponse200]: ...


class _AsyncDatasourceDownloads(Protocol):
    async def stream_download_progress(
        self, datasource_id: str, job_id: str, *, timeout: Timeout = ...
    ) -> AsyncEventStream[StreamDownloadProgressResponse200]: ...


class _FileUpload(Protocol):
    def stream_upload_progress(
        self, upload_id: str, *, timeout: Timeout = ...
    ) -> EventStream[StreamUploadProgressResponse200]: ...


class _AsyncFileUpload(Protocol):
    async def stream_upload_progress(
        self, upload_id: str, *, timeout: Timeout = ...
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
        return _until_status(
            waiter,
            lambda left: self.get_document_status(job_id, deadline=left),
            lambda left: self.stream_document_trace(job_id, timeout=left),
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
        return _until_status(
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
        return await _auntil_status(
            waiter,
            lambda left: self.get_document_status(job_id, deadline=left),
            lambda left: self.stream_document_trace(job_id, timeout=left),
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
        return await _auntil_status(
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
        return _until_status(
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
        return await _auntil_status(
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
        return _until_status(waiter, lambda left: self.get_scoring_job(job_id, deadline=left))


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
        return await _auntil_status(
            waiter, lambda left: self.get_scoring_job(job_id, deadline=left)
        )


class DatasourceDownloadsWaiters:
    """`client.datasource_downloads.wait(datasource_id, job_id)`."""

    __slots__ = ()

    def wait(
        self: _DatasourceDownloads,
        datasource_id: str,
        job_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[StreamEvent[StreamDownloadProgressResponse200]], object]
        | None = None,
    ) -> StreamEvent[StreamDownloadProgressResponse200]:
        """Follow `stream_download_progress` until the job ends; its terminal event.

        The spec has no status operation for download jobs: a stream that ends without a
        terminal event is opened again after a pause. Raises JobFailedError (an `error` or
        `failed` event), or JobTimeoutError after `timeout` seconds (None: no limit).
        """
        waiter = Waiter(
            _DOWNLOAD, job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )
        return _until_event(
            waiter,
            lambda left: self.stream_download_progress(datasource_id, job_id, timeout=left),
        )


class AsyncDatasourceDownloadsWaiters:
    """`await client.datasource_downloads.wait(datasource_id, job_id)`."""

    __slots__ = ()

    async def wait(
        self: _AsyncDatasourceDownloads,
        datasource_id: str,
        job_id: str,
        *,
        timeout: float | None = TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        on_progress: Callable[[StreamEvent[StreamDownloadProgressResponse200]], object]
        | None = None,
    ) -> StreamEvent[StreamDownloadProgressResponse200]:
        """Follow `stream_download_progress` until the job ends (see the sync twin)."""
        waiter = Waiter(
            _DOWNLOAD, job_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )
        return await _auntil_event(
            waiter,
            lambda left: self.stream_download_progress(datasource_id, job_id, timeout=left),
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
        return _until_event(
            waiter, lambda left: self.stream_upload_progress(upload_id, timeout=left)
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
        return await _auntil_event(
            waiter, lambda left: self.stream_upload_progress(upload_id, timeout=left)
        )
