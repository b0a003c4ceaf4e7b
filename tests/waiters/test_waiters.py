"""The waiters (`client.documents.wait(...)` and peers, meibel/_waiters.py), sync and async.

Against real HTTP on 127.0.0.1: a RecordingServer scripts the status answers and progress
streams; each wire test runs its waiter on MeibelClient and on AsyncMeibelClient, with tiny pauses.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from waiter_cases import (
    FAST,
    POLLED,
    STREAMED,
    Polled,
    Streamed,
    _document,
    _paths,
    _polled,
    _streamed,
    _wait,
)
from wire import RecordingServer, sse

from meibel import (
    APIStatusError,
    JobFailedError,
    JobTimeoutError,
    MeibelError,
    NotFoundError,
)
from meibel.models import (
    DocumentStatus,
)


@pytest.fixture
def recording_server(server: RecordingServer) -> RecordingServer:
    """The module's one server (conftest's `server`), emptied for each test."""
    return server


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
