"""A waiter and a folder upload are each one span holding the spans of the calls they make,
those of a folder upload's worker threads and tasks included; sync and async, against
meibel.testing's FakeMeibel served on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from otel_support import Recorded, call

from meibel import JobFailedError
from meibel.testing import FakeMeibel


def _children(recorded: Recorded, parent: ReadableSpan) -> list[str]:
    assert parent.context is not None
    return [
        span.name
        for span in recorded.spans()
        if span.parent is not None and span.parent.span_id == parent.context.span_id
    ]


def test_a_waiter_is_the_parent_of_its_calls(recorded: Recorded, mode: str) -> None:
    fake = FakeMeibel()
    fake.seed("documents", "doc_1", status="processing")
    with fake.serve() as url:
        call(mode, url, lambda client: client.documents.wait("doc_1", poll_interval=0.001))

    waiter = recorded.span("documents.wait")
    assert waiter.kind is SpanKind.INTERNAL
    assert (waiter.attributes or {})["meibel.job.id"] == "doc_1"
    children = _children(recorded, waiter)
    assert children, "the waiter's calls are its children"
    assert set(children) <= {"streamDocumentTrace", "getDocumentStatus"}
    assert len(children) == len(recorded.spans()) - 1, "every call is the waiter's"


def test_a_failed_job_fails_its_waiter_span(recorded: Recorded, mode: str) -> None:
    fake = FakeMeibel()
    fake.seed("documents", "doc_1", status="failed", error="unreadable PDF")
    with fake.serve() as url, pytest.raises(JobFailedError):
        call(mode, url, lambda client: client.documents.wait("doc_1", poll_interval=0.001))

    waiter = recorded.span("documents.wait")
    assert waiter.status.status_code is StatusCode.ERROR
    assert (waiter.attributes or {})["error.type"] == "meibel.JobFailedError"


def test_a_folder_upload_is_the_parent_of_every_file_s_call(
    recorded: Recorded, mode: str, tmp_path: Path
) -> None:
    for name in ("a.txt", "b.txt", "c.txt", "sub/d.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(name)
    fake = FakeMeibel()
    fake.seed("datasources", "ds_1", name="Reports")
    with fake.serve() as url:
        report = call(
            mode,
            url,
            lambda client: client.file_upload.upload_folder("ds_1", tmp_path, concurrency=2),
        )

    assert len(report.uploaded) == 4
    upload = recorded.span("file_upload.upload_folder")
    attributes = upload.attributes or {}
    assert attributes["meibel.datasource_id"] == "ds_1"
    assert (attributes["meibel.upload.uploaded"], attributes["meibel.upload.failed"]) == (4, 0)
    # Sent from worker threads (sync) or tasks (async), each file's call is the upload's child.
    assert _children(recorded, upload) == ["uploadContent"] * 4
    assert upload.context is not None
    trace_ids = {span.context.trace_id for span in recorded.spans() if span.context}
    assert trace_ids == {upload.context.trace_id}
