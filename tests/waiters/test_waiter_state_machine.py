"""The waiters' state machine on its own (meibel/_waiting.py): backoff with a fake clock, terminal
states, the spec's ingest statuses, arguments refused before any request.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from waiter_cases import (
    KEY,
)
from wire import RecordingServer

from meibel import (
    JobFailedError,
    JobTimeoutError,
    MeibelClient,
)
from meibel._waiters import _DOCUMENT, _UPLOAD, INGEST_OUTCOMES
from meibel._waiting import MAX_POLL_INTERVAL, Done, Sleep, Waiter
from meibel.models import (
    DocumentStatus,
    IngestStatus,
)

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
