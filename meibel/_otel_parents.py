"""The spans that hold other calls' spans: a waiter's, and a folder upload's.

A waiter (`client.documents.wait(job_id)`, ...) is one INTERNAL span named after its method
("documents.wait") around every status request and progress stream it makes, with the job's id
(`meibel.job.id`). `upload_folder` and `upload_files` are one span each ("file_upload.
upload_folder") around every file's calls, made in worker threads or tasks that run in a copy of
the caller's context (meibel/_folder_runs.py), with the datasource and, at the end, how many
files were uploaded, skipped and failed (`meibel.upload.*`). Either fails with the error it
raises.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import INVALID_SPAN, SpanKind

from ._otel_calls import record_failure

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

    from ._folder_walk import UploadReport

__all__ = ["traced_async_upload", "traced_async_wait", "traced_upload", "traced_wait"]


@contextmanager
def _parent(tracer: Tracer, name: str, attributes: dict[str, Any]) -> Iterator[Span]:
    """An INTERNAL span, current inside; failed by what escapes it (Ctrl-C included)."""
    if not is_instrumentation_enabled():
        yield INVALID_SPAN
        return
    span = tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=attributes)
    try:
        with trace.use_span(span, record_exception=False, set_status_on_exception=False):
            yield span
    except BaseException as error:
        record_failure(span, error)
        raise
    finally:
        span.end()


def traced_wait(tracer: Tracer, wait_job: Callable[..., Any]) -> Callable[..., Any]:
    """meibel/_waiters.py `wait_job` inside its waiter's span."""

    @functools.wraps(wait_job)
    def traced(key: str, job_id: str, *args: Any) -> Any:
        with _parent(tracer, key, {"meibel.job.id": job_id}):
            return wait_job(key, job_id, *args)

    return traced


def traced_async_wait(
    tracer: Tracer, await_job: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    """meibel/_waiters.py `await_job` inside its waiter's span."""

    @functools.wraps(await_job)
    async def traced(key: str, job_id: str, *args: Any) -> Any:
        with _parent(tracer, key, {"meibel.job.id": job_id}):
            return await await_job(key, job_id, *args)

    return traced


def _counts(span: Span, report: UploadReport) -> None:
    span.set_attribute("meibel.upload.uploaded", len(report.uploaded))
    span.set_attribute("meibel.upload.skipped", len(report.skipped))
    span.set_attribute("meibel.upload.failed", len(report.failed))


def traced_upload(tracer: Tracer, upload: Callable[..., UploadReport]) -> Callable[..., Any]:
    """FolderUploads' `upload_folder` or `upload_files` inside its span."""
    name = f"file_upload.{upload.__name__}"

    @functools.wraps(upload)
    def traced(self: object, datasource_id: str, *args: Any, **kwargs: Any) -> UploadReport:
        with _parent(tracer, name, {"meibel.datasource_id": datasource_id}) as span:
            report = upload(self, datasource_id, *args, **kwargs)
            _counts(span, report)
            return report

    return traced


def traced_async_upload(
    tracer: Tracer, upload: Callable[..., Awaitable[UploadReport]]
) -> Callable[..., Any]:
    """AsyncFolderUploads' `upload_folder` or `upload_files` inside its span."""
    name = f"file_upload.{upload.__name__}"

    @functools.wraps(upload)
    async def traced(self: object, datasource_id: str, *args: Any, **kwargs: Any) -> UploadReport:
        with _parent(tracer, name, {"meibel.datasource_id": datasource_id}) as span:
            report = await upload(self, datasource_id, *args, **kwargs)
            _counts(span, report)
            return report

    return traced
