"""The waiters (`client.documents.wait(...)` and peers, meibel/_waiters.py), sync and async.

Against real HTTP on 127.0.0.1: a RecordingServer scripts the status answers and progress
streams; each wire test runs its waiter on MeibelClient and on AsyncMeibelClient, with tiny pauses.
The state machine's backoff is tested on its own, with a fake clock.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from wire import RecordingServer, sse

from meibel import (
    APIStatusError,
    AsyncMeibelClient,
    JobFailedError,
    JobTimeoutError,
    MeibelClient,
    MeibelError,
    NotFoundError,
)
from meibel._waiters import _DOCUMENT, _UPLOAD, INGEST_OUTCOMES
from meibel._waiting import MAX_POLL_INTERVAL, Done, Sleep, Waiter
from meibel.models import (
    CreateDatasourceRequest,
    DocumentStatus,
    IngestStatus,
    SubmitDeepTransformFromDocument,
    SubmitDeepTransformFromDocumentSchema,
)
from meibel.testing import FakeMeibel

KEY = "sk-test-waiters"
FAST = {"poll_interval": 0.001}


@pytest.fixture
def recording_server(server: RecordingServer) -> RecordingServer:
    """The module's one server (conftest's `server`), emptied for each test."""
    return server


def _wait(
    mode: str,
    server: RecordingServer,
    call: Callable[..., Any],
    *,
    client_options: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """`call(client, **options)` on a MeibelClient of `server`, or awaited on an async one."""
    settings = {"api_key": KEY, "base_url": server.url + "/v2", **(client_options or {})}
    if mode == "sync":
        with MeibelClient(**settings) as client:
            return call(client, **options)

    async def run() -> Any:
        async with AsyncMeibelClient(**settings) as client:
            return await call(client, **options)

    return anyio.run(run)


def _paths(server: RecordingServer) -> list[str]:
    return [request.target for request in server.requests]


# -- the jobs that are polled ---------------------------------------------------------------------


@dataclass(frozen=True)
class Polled:
    name: str
    call: Callable[..., Any]
    path: str  # of the status operation
    states: tuple[str, str, str, str]  # queued, processing, succeeded, failed
    body: Callable[[str, str | None], dict[str, Any]]
    has_error: bool  # the status model carries the server's error message
    streams_first: bool = False  # documents.wait asks the trace stream first

    def script(self, server: RecordingServer, *states: str, error: str | None = None) -> None:
        if self.streams_first:
            server.respond(404, {"detail": "Not Found"})
        for state in states:
            server.respond(200, self.body(state, error))

    def status_paths(self, server: RecordingServer) -> list[str]:
        paths = _paths(server)
        return paths[1:] if self.streams_first else paths


POLLED = [
    Polled(
        "documents.wait",
        lambda client, **kw: client.documents.wait("job_1", **kw),
        "/v2/documents/job_1",
        ("queued", "processing", "completed", "failed"),
        lambda state, error: {"job_id": "job_1", "status": state, "format": "pdf", "error": error},
        has_error=True,
        streams_first=True,
    ),
    Polled(
        "documents.wait_for_deep_transform",
        lambda client, **kw: client.documents.wait_for_deep_transform("dt_1", **kw),
        "/v2/documents/deep-transform/dt_1",
        ("queued", "running", "succeeded", "failed"),
        lambda state, error: {"job_id": "dt_1", "status": state, "artifacts": [], "error": error},
        has_error=True,
    ),
    Polled(
        "ingest.wait",
        lambda client, **kw: client.ingest.wait("ds_1", **kw),
        "/v2/datasources/ds_1/ingest-status",
        ("not_started", "running", "completed", "failed"),
        lambda state, error: {"datasource_id": "ds_1", "status": state},
        has_error=False,
    ),
    Polled(
        "confidence_scoring.wait",
        lambda client, **kw: client.confidence_scoring.wait("sj_1", **kw),
        "/v2/confidence-scoring/job/sj_1",
        ("submitted", "in_progress", "completed", "failed"),
        lambda state, error: {
            "job_id": "sj_1",
            "agent_identity_context": {"customer_id": "c1", "project_id": "p1"},
            "module": "correctness",
            "status": state,
            "explanation": error,
        },
        has_error=True,
    ),
]
_polled = pytest.mark.parametrize("case", POLLED, ids=lambda case: case.name)


@_polled
def test_polls_until_the_job_succeeds_and_reports_each_change(
    case: Polled, mode: str, recording_server: RecordingServer
) -> None:
    queued, processing, succeeded, _ = case.states
    case.script(recording_server, queued, queued, processing, succeeded)
    seen: list[Any] = []

    result = _wait(mode, recording_server, case.call, on_progress=seen.append, **FAST)

    assert str(result.status) == succeeded
    assert case.status_paths(recording_server) == [case.path] * 4
    # The repeated `queued` answer is not a change: reported once.
    assert [str(update.status) for update in seen] == [queued, processing, succeeded]
    assert seen[-1] is result


@_polled
def test_a_failed_job_raises_job_failed_error_with_the_server_error(
    case: Polled, mode: str, recording_server: RecordingServer
) -> None:
    queued, _, _, failed = case.states
    case.script(recording_server, queued, failed, error="OCR crashed on page 3")

    with pytest.raises(JobFailedError) as caught:
        _wait(mode, recording_server, case.call, **FAST)

    error = caught.value
    assert isinstance(error, MeibelError)
    assert str(error.status.status) == failed
    assert error.job_id in str(error)
    assert repr(failed) in str(error)
    if case.has_error:
        assert error.error == "OCR crashed on page 3"
        assert "OCR crashed on page 3" in str(error)
    else:
        assert error.error is None


@_polled
def test_a_job_that_never_ends_times_out_quickly(
    case: Polled, mode: str, recording_server: RecordingServer
) -> None:
    processing = case.states[1]
    case.script(recording_server, *[processing] * 300)
    started = time.monotonic()

    with pytest.raises(JobTimeoutError) as caught:
        _wait(mode, recording_server, case.call, timeout=0.2, poll_interval=0.005)

    assert time.monotonic() - started < 2
    error = caught.value
    assert str(error.last_status.status) == processing
    assert error.timeout == 0.2
    message = str(error)
    assert error.job_id in message
    assert "0.2 s" in message
    assert repr(processing) in message
    assert len(case.status_paths(recording_server)) > 2  # it polled, with pauses between


@_polled
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_on_a_status_answer_is_honoured(
    case: Polled, status: int, mode: str, recording_server: RecordingServer
) -> None:
    queued, _, succeeded, _ = case.states
    case.script(recording_server, queued)
    recording_server.respond(status, {"detail": "slow down"}, **{"Retry-After-Ms": "250"})
    recording_server.respond(200, case.body(succeeded, None))
    started = time.monotonic()

    # max_retries=0: the waiter, not the client's retry policy, sees the 429/503.
    result = _wait(mode, recording_server, case.call, client_options={"max_retries": 0}, **FAST)

    assert time.monotonic() - started >= 0.25
    assert str(result.status) == succeeded
    assert case.status_paths(recording_server) == [case.path] * 3


def test_a_retry_after_past_the_timeout_ends_the_wait_at_the_timeout(
    mode: str, recording_server: RecordingServer
) -> None:
    recording_server.respond(429, {"detail": "come back later"}, **{"Retry-After": "120"})
    started = time.monotonic()

    with pytest.raises(JobTimeoutError) as caught:
        _wait(
            mode,
            recording_server,
            POLLED[2].call,
            client_options={"max_retries": 0},
            timeout=0.3,
            **FAST,
        )

    assert 0.25 <= time.monotonic() - started < 2
    assert "come back later" in str(caught.value)  # the last error, named
    assert caught.value.last_status is None
    assert "none received" in str(caught.value)


@_polled
def test_an_error_that_is_not_transient_is_raised_as_it_is(
    case: Polled, mode: str, recording_server: RecordingServer
) -> None:
    if case.streams_first:
        recording_server.respond(404, {"detail": "Not Found"})
    recording_server.respond(404, {"detail": "Job not found"})

    with pytest.raises(NotFoundError, match="Job not found"):
        _wait(mode, recording_server, case.call, **FAST)


# -- the jobs that are followed on a progress stream ----------------------------------------------


@dataclass(frozen=True)
class Streamed:
    name: str
    call: Callable[..., Any]
    path: str  # of the progress stream
    end: str  # the name of the event that ends it
    status_path: str | None = None  # of the status operation, when the spec has one


STREAMED = [
    Streamed(
        "documents.wait",
        POLLED[0].call,
        "/v2/documents/job_1/trace",
        "completed",
        status_path="/v2/documents/job_1",
    ),
    Streamed(
        "datasource_downloads.wait",
        lambda client, **kw: client.datasource_downloads.wait("dj_1", datasource_id="ds_1", **kw),
        "/v2/datasources/ds_1/downloads/dj_1/progress",
        "stream_complete",
    ),
    Streamed(
        "file_upload.wait",
        lambda client, **kw: client.file_upload.wait("up_1", **kw),
        "/v2/datasources/uploads/up_1/progress",
        "stream_complete",
    ),
]
_streamed = pytest.mark.parametrize("case", STREAMED, ids=lambda case: case.name)


def _document(state: str, error: str | None = None) -> dict[str, Any]:
    return POLLED[0].body(state, error)


@_streamed
def test_follows_the_progress_stream_to_its_terminal_event(
    case: Streamed, mode: str, recording_server: RecordingServer
) -> None:
    recording_server.stream(
        [
            sse("connected", {"status": "queued"}),
            sse("progress", {"status": "processing", "progress": 50}),
            sse(case.end, {"status": "completed", "progress": 100}),
        ]
    )
    if case.status_path:
        recording_server.respond(200, _document("completed"))
    seen: list[Any] = []

    result = _wait(mode, recording_server, case.call, on_progress=seen.append, **FAST)

    events = ["connected", "progress", case.end]
    if case.status_path:
        # The status operation has the last word: its terminal model is the answer.
        assert isinstance(result, DocumentStatus)
        assert result.status == "completed"
        assert _paths(recording_server) == [case.path, case.status_path]
        assert [event.type for event in seen[:3]] == events
        assert seen[3] is result
    else:
        assert result.type == case.end
        assert result.data["progress"] == 100
        assert _paths(recording_server) == [case.path]
        assert [event.type for event in seen] == events
        assert seen[-1] is result


@_streamed
def test_an_error_event_fails_the_job(
    case: Streamed, mode: str, recording_server: RecordingServer
) -> None:
    recording_server.stream(
        [
            sse("progress", {"progress": 10}),
            sse("error", {"status": "failed", "message": "disk full"}),
        ]
    )
    if case.status_path:
        recording_server.respond(200, _document("failed", "disk full"))

    with pytest.raises(JobFailedError, match="disk full") as caught:
        _wait(mode, recording_server, case.call, **FAST)

    assert caught.value.error == "disk full"
    if case.status_path:
        # An error event sends documents.wait to the status operation, which confirms.
        assert isinstance(caught.value.status, DocumentStatus)
        assert _paths(recording_server) == [case.path, case.status_path]
    else:
        assert caught.value.status == {"status": "failed", "message": "disk full"}


@_streamed
def test_a_stream_that_ends_without_a_terminal_event_is_followed_up(
    case: Streamed, mode: str, recording_server: RecordingServer
) -> None:
    recording_server.stream([sse("progress", {"progress": 40})])
    if case.status_path:
        recording_server.respond(200, _document("processing"))
        recording_server.respond(200, _document("completed"))
    else:
        recording_server.stream([sse(case.end, {"progress": 100})])

    result = _wait(mode, recording_server, case.call, **FAST)

    if case.status_path:
        # Polled from then on.
        assert result.status == "completed"
        assert _paths(recording_server) == [case.path, case.status_path, case.status_path]
    else:
        # No status operation: the stream is opened again.
        assert result.type == case.end
        assert _paths(recording_server) == [case.path, case.path]


@_streamed
@pytest.mark.parametrize("status", [404, 405, 501])
def test_a_stream_that_is_not_available(
    case: Streamed, status: int, mode: str, recording_server: RecordingServer
) -> None:
    recording_server.respond(status, {"detail": "no stream here"})
    if case.status_path:
        for state in ("processing", "completed"):
            recording_server.respond(200, _document(state))

        result = _wait(mode, recording_server, case.call, **FAST)

        assert result.status == "completed"  # polled instead
        assert _paths(recording_server) == [case.path] + [case.status_path] * 2
    else:
        # Nothing to poll instead: the error is the caller's.
        with pytest.raises(APIStatusError, match="no stream here") as caught:
            _wait(mode, recording_server, case.call, **FAST)
        assert caught.value.status_code == status


@_streamed
def test_a_stalled_stream_times_out_at_the_timeout(
    case: Streamed, mode: str, recording_server: RecordingServer
) -> None:
    recording_server.stream([sse("progress", {"progress": 5}), 3.0])
    started = time.monotonic()

    with pytest.raises(JobTimeoutError) as caught:
        _wait(mode, recording_server, case.call, timeout=0.3, **FAST)

    assert time.monotonic() - started < 2
    assert caught.value.last_status.type == "progress"
    assert "'progress' event" in str(caught.value)


def test_a_stream_that_keeps_ending_early_times_out(
    mode: str, recording_server: RecordingServer
) -> None:
    for _ in range(200):
        recording_server.stream([sse("progress", {"progress": 1})])

    with pytest.raises(JobTimeoutError, match="upload up_1 did not end within"):
        _wait(mode, recording_server, STREAMED[2].call, timeout=0.2, poll_interval=0.005)

    assert 2 < len(recording_server.requests) < 200


# -- the state machine on its own ----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_backoff_grows_and_is_capped() -> None:
    waiter = Waiter(_UPLOAD, "up_1", timeout=None, poll_interval=1.0, on_progress=None)
    pauses = [waiter.next_pause() for _ in range(8)]
    for attempt, pause in enumerate(pauses):
        ceiling = min(2.0**attempt, MAX_POLL_INTERVAL)
        assert 0.75 * ceiling <= pause <= ceiling  # up to 25% jitter, never more than the step
    assert max(pauses) <= MAX_POLL_INTERVAL
    assert pauses[-1] >= 0.75 * MAX_POLL_INTERVAL

    # A poll_interval longer than the cap is kept.
    slow = Waiter(_UPLOAD, "up_1", timeout=None, poll_interval=30.0, on_progress=None)
    assert all(22.5 <= slow.next_pause() <= 30.0 for _ in range(5))


def test_each_pause_follows_the_backoff_and_stops_at_the_deadline() -> None:
    clock = Clock()
    waiter = Waiter(
        _DOCUMENT, "job_1", timeout=5.0, poll_interval=1.0, on_progress=None, clock=clock
    )
    processing = DocumentStatus(job_id="job_1", status="processing", format_="pdf")
    first = waiter.polled(processing)
    assert isinstance(first, Sleep)
    assert 0.75 <= first.seconds <= 1.0
    second = waiter.polled(processing)
    assert isinstance(second, Sleep)
    assert 1.5 <= second.seconds <= 2.0
    clock.now = 4.5
    assert waiter.polled(processing) == Sleep(0.5)  # only what is left
    clock.now = 5.0
    with pytest.raises(JobTimeoutError, match="job_1 did not end within the timeout of 5 s"):
        waiter.woke()


def test_terminal_states_are_case_insensitive() -> None:
    def outcome(state: str) -> object:
        waiter = Waiter(_DOCUMENT, "job_1", timeout=None, poll_interval=1.0, on_progress=None)
        try:
            return waiter.polled(DocumentStatus(job_id="job_1", status=state, format_="pdf"))
        except JobFailedError:
            return "failed"

    assert isinstance(outcome("Completed"), Done)
    assert isinstance(outcome("SUCCEEDED"), Done)
    assert outcome("Cancelled") == "failed"
    assert outcome("ERROR") == "failed"
    assert isinstance(outcome("Processing"), Sleep)


def test_every_ingest_status_of_the_spec_is_decided() -> None:
    # A spec bump that adds a state fails here until someone says whether it ends a run.
    assert {member.value for member in IngestStatus} == set(INGEST_OUTCOMES)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"poll_interval": 0}, "poll_interval"), ({"timeout": -1}, "timeout")],
)
def test_bad_arguments_are_refused_before_any_request(
    options: dict[str, float], message: str, recording_server: RecordingServer
) -> None:
    with (
        MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client,
        pytest.raises(ValueError, match=message),
    ):
        client.ingest.wait("ds_1", **options)
    assert recording_server.requests == []


def test_the_waiters_module_does_not_import_anyio() -> None:
    # The async drivers import it when they first sleep (httpx2's async side loads it anyway).
    code = (
        "import sys, meibel, meibel._waiters\nassert 'anyio' not in sys.modules, 'anyio imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- against meibel.testing.FakeMeibel, whose jobs move on with each poll --------------------------

KINDS = {
    "document": "completed",
    "deep_transform": "succeeded",
    "ingest": "completed",
    "scoring": "completed",
    "upload": "stream_complete",
    "download": "stream_complete",
}


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _run_job(kind: str, client: Any, **options: Any) -> Any:
    """Start a job of `kind` on `client` (sync or async) and wait for it."""
    r = _resolve
    if kind in ("document", "deep_transform"):
        job = await r(client.documents.parse_document(file=("report.pdf", b"%PDF-1.7")))
        if kind == "document":
            return await r(client.documents.wait(job.job_id, **options))
        schema = SubmitDeepTransformFromDocumentSchema.from_dict({"type": "object"})
        body = SubmitDeepTransformFromDocument(document_job_id=job.job_id, schema=schema)
        extraction = await r(client.documents.submit_deep_transform_from_document(body=body))
        return await r(client.documents.wait_for_deep_transform(extraction.job_id, **options))
    if kind == "scoring":  # the fake scores each completed chat turn
        session = await r(client.agents.create_session(agent_id="agent_1"))
        await r(session.chat("How did Q4 go?"))
        (job,) = await r(client.confidence_scoring.list_scoring_jobs())
        return await r(client.confidence_scoring.wait(job.job_id, **options))
    request = CreateDatasourceRequest(name="Reports")
    datasource = await r(client.datasources.create_datasource(body=request))
    upload = await r(client.file_upload.upload_content(datasource.id, files=[("q4.txt", b"Q4")]))
    if kind == "upload":
        return await r(client.file_upload.wait(upload.upload_id, **options))
    if kind == "ingest":
        await r(client.ingest.trigger_ingest(datasource.id))
        return await r(client.ingest.wait(datasource.id, **options))
    export = await r(client.datasource_downloads.create_download_job(datasource.id))
    return await r(
        client.datasource_downloads.wait(export.job_id, datasource_id=datasource.id, **options)
    )


def _on_fake(mode: str, fake: FakeMeibel, kind: str, **options: Any) -> Any:
    async def run() -> Any:
        if mode == "sync":
            with fake.client() as client:
                return await _run_job(kind, client, **options)
        async with fake.async_client() as client:
            return await _run_job(kind, client, **options)

    return anyio.run(run)


@pytest.mark.parametrize("kind", KINDS)
def test_a_fake_job_is_followed_to_its_end(kind: str, mode: str) -> None:
    fake = FakeMeibel()
    seen: list[Any] = []

    result = _on_fake(mode, fake, kind, on_progress=seen.append, **FAST)

    state = str(result.status) if hasattr(result, "status") else result.type
    assert state == KINDS[kind]
    assert len(seen) > 1  # the fake's job went through states before that one
    assert seen[-1] is result


@pytest.mark.parametrize("kind", KINDS)
def test_a_fake_job_that_fails_raises_job_failed_error(kind: str, mode: str) -> None:
    fake = FakeMeibel()
    fake.fail_job(kind, "the fake failed it")

    with pytest.raises(JobFailedError) as caught:
        _on_fake(mode, fake, kind, **FAST)

    # IngestStatusResponse carries no error message; every other job's answer does.
    assert caught.value.error == (None if kind == "ingest" else "the fake failed it")
    assert caught.value.job_id in str(caught.value)
