"""A waiter's `timeout=` is a wall-clock bound, whatever the server sends (issue #19, row 3).

Each waiter, sync and async, against a RecordingServer on 127.0.0.1 that keeps its job going far
past the timeout: a progress stream of keep-alive comments, of bytes that never end a line, of
events that never end the job, one that answers and falls silent, one that never answers; status
polls that answer late or trickle. The bound asserted is the timeout plus 1 s. And the poll
intervals a waiter refuses (#19, item 6).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from wire import RecordingServer, ScriptedResponse, every, sse

from meibel import AsyncMeibelClient, JobTimeoutError, MeibelClient
from meibel._waiting import POLL_INTERVALS

KEY = "sk-waiter-deadlines"
TIMEOUT = 0.5
BOUND = TIMEOUT + 1.0
KEEP_ALIVE = b": keep-alive\n\n"


def _wait(mode: str, server: RecordingServer, call: Callable[..., Any], **options: Any) -> float:
    """Run `call(client, **options)` to its JobTimeoutError; the seconds the wait took."""
    settings = {"api_key": KEY, "base_url": server.url + "/v2"}
    if mode == "sync":
        with MeibelClient(**settings) as client:
            started = time.monotonic()
            with pytest.raises(JobTimeoutError) as caught:
                call(client, **options)
            elapsed = time.monotonic() - started
    else:

        async def run() -> tuple[float, Any]:
            async with AsyncMeibelClient(**settings) as client:
                started = time.monotonic()
                with pytest.raises(JobTimeoutError) as caught:
                    await call(client, **options)
                return time.monotonic() - started, caught

        elapsed, caught = anyio.run(run)
    assert caught.value.timeout == options["timeout"]
    assert f"within the timeout of {options['timeout']:g} s" in str(caught.value)
    return elapsed


# -- the waiters that follow a progress stream ------------------------------------------------


@dataclass(frozen=True)
class Streamed:
    name: str
    call: Callable[..., Any]


STREAMED = [
    Streamed("documents.wait", lambda client, **kw: client.documents.wait("job_1", **kw)),
    Streamed(
        "datasource_downloads.wait",
        lambda client, **kw: client.datasource_downloads.wait("dj_1", datasource_id="d", **kw),
    ),
    Streamed("file_upload.wait", lambda client, **kw: client.file_upload.wait("up_1", **kw)),
]
_streamed = pytest.mark.parametrize("case", STREAMED, ids=lambda case: case.name)

# What the progress stream does, each for 8 s (sixteen times the timeout).
STREAMS: dict[str, ScriptedResponse] = {
    "keep-alive comments": ScriptedResponse(chunks=every(KEEP_ALIVE, 0.1, 8.0)),
    "bytes without a newline": ScriptedResponse(chunks=[b"data: {", *every(b"x", 0.1, 8.0)]),
    "events that never end the job": ScriptedResponse(
        chunks=every(sse("progress", {"status": "processing", "progress": 1}), 0.1, 8.0)
    ),
    "an answer, then nothing": ScriptedResponse(chunks=[sse("connected", {}), 8.0]),
    "no answer": ScriptedResponse(delay=8.0),
}
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


@_streamed
@pytest.mark.parametrize("behaviour", STREAMS)
def test_a_progress_stream_cannot_hold_a_waiter_past_its_timeout(
    case: Streamed, behaviour: str, mode: str, server: RecordingServer
) -> None:
    script = STREAMS[behaviour]
    if script.chunks is not None:
        script = ScriptedResponse(headers=SSE_HEADERS, chunks=script.chunks)
    for _ in range(3):  # the stream may be opened again after a pause: the same each time
        server._responses.put(script)

    elapsed = _wait(mode, server, case.call, timeout=TIMEOUT, poll_interval=0.05)

    assert TIMEOUT - 0.05 <= elapsed <= BOUND


@pytest.mark.parametrize("case", STREAMED[:1], ids=lambda case: case.name)
def test_keep_alives_then_silence_end_at_the_timeout(
    case: Streamed, mode: str, server: RecordingServer
) -> None:
    # The stream's read timeout is fixed when its body starts (the time left, 2 s): a read
    # that began after 1.8 s of keep-alives would end 1.8 s past the timeout.
    chunks = [*every(KEEP_ALIVE, 0.1, 1.8), 8.0]
    server._responses.put(ScriptedResponse(headers=SSE_HEADERS, chunks=chunks))

    elapsed = _wait(mode, server, case.call, timeout=2.0, poll_interval=0.05)

    assert 2.0 - 0.05 <= elapsed <= 2.0 + 1.0


# -- the waiters that poll a status operation ------------------------------------------------


@dataclass(frozen=True)
class Polled:
    name: str
    call: Callable[..., Any]
    body: dict[str, Any]  # a status that is not terminal
    streams_first: bool = False


POLLED = [
    Polled(
        "documents.wait",
        STREAMED[0].call,
        {"job_id": "job_1", "status": "processing", "format": "pdf"},
        streams_first=True,
    ),
    Polled(
        "documents.wait_for_deep_transform",
        lambda client, **kw: client.documents.wait_for_deep_transform("dt_1", **kw),
        {"job_id": "dt_1", "status": "running", "artifacts": []},
    ),
    Polled(
        "ingest.wait",
        lambda client, **kw: client.ingest.wait("ds_1", **kw),
        {"datasource_id": "ds_1", "status": "running"},
    ),
    Polled(
        "confidence_scoring.wait",
        lambda client, **kw: client.confidence_scoring.wait("sj_1", **kw),
        {
            "job_id": "sj_1",
            "agent_identity_context": {"customer_id": "c1", "project_id": "p1"},
            "module": "correctness",
            "status": "in_progress",
        },
    ),
]
_polled = pytest.mark.parametrize("case", POLLED, ids=lambda case: case.name)
JSON_HEADERS = {"Content-Type": "application/json"}


def _trickling(body: bytes) -> ScriptedResponse:
    """A status answer whose body comes one byte every 0.1 s."""
    chunks: list[bytes | float] = []
    for byte in body:
        chunks += [bytes([byte]), 0.1]
    return ScriptedResponse(headers=JSON_HEADERS, chunks=chunks)


@_polled
@pytest.mark.parametrize("behaviour", ["late", "trickling"])
def test_a_slow_status_answer_cannot_hold_a_waiter_past_its_timeout(
    case: Polled, behaviour: str, mode: str, server: RecordingServer
) -> None:
    if case.streams_first:
        server.respond(404, {"detail": "no trace here"})
    body = json.dumps(case.body).encode()
    for _ in range(3):
        if behaviour == "late":
            server.respond(200, body, delay=8.0)
        else:
            server._responses.put(_trickling(body))

    elapsed = _wait(mode, server, case.call, timeout=TIMEOUT, poll_interval=0.05)

    assert TIMEOUT - 0.05 <= elapsed <= BOUND
    polls = server.requests[1:] if case.streams_first else server.requests
    assert len(polls) == 1, "no poll is started that the time left cannot cover"


# -- poll intervals --------------------------------------------------------------------------

WAITERS = [*(case.call for case in STREAMED), *(case.call for case in POLLED[1:])]
_waiters = pytest.mark.parametrize(
    "call", WAITERS, ids=[*(c.name for c in STREAMED), *(c.name for c in POLLED[1:])]
)


def _call(mode: str, server: RecordingServer, call: Callable[..., Any], **options: Any) -> Any:
    settings = {"api_key": KEY, "base_url": server.url + "/v2"}
    if mode == "sync":
        with MeibelClient(**settings) as client:
            return call(client, **options)

    async def run() -> Any:
        async with AsyncMeibelClient(**settings) as client:
            return await call(client, **options)

    return anyio.run(run)


@_waiters
@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 0, -1.0, 1e-9, 1e308, 3601], ids=repr
)
def test_a_poll_interval_out_of_range_is_refused_before_any_request(
    call: Callable[..., Any], value: float, mode: str, server: RecordingServer
) -> None:
    with pytest.raises(ValueError, match=r"poll_interval must be between 0\.001 and 3600 seconds"):
        _call(mode, server, call, poll_interval=value)
    assert server.requests == []


@pytest.mark.parametrize("value", ["1", None, True], ids=repr)
def test_a_poll_interval_that_is_no_number_is_refused(
    value: object, mode: str, server: RecordingServer
) -> None:
    with pytest.raises(TypeError, match="poll_interval must be a number of seconds"):
        _call(mode, server, WAITERS[-1], poll_interval=value)
    assert server.requests == []


@pytest.mark.parametrize("value", [math.nan, -1.0, "10"], ids=repr)
def test_a_timeout_that_is_no_duration_is_refused(
    value: object, mode: str, server: RecordingServer
) -> None:
    with pytest.raises((TypeError, ValueError), match="timeout must be"):
        _call(mode, server, WAITERS[-1], timeout=value)
    assert server.requests == []


@pytest.mark.parametrize("value", POLL_INTERVALS, ids=repr)
def test_the_ends_of_the_range_are_accepted(
    value: float, mode: str, server: RecordingServer
) -> None:
    server.respond(200, {"datasource_id": "ds_1", "status": "completed"})
    status = _call(mode, server, POLLED[2].call, poll_interval=value)
    assert status.status == "completed"


def test_an_infinite_timeout_waits_as_none_does(mode: str, server: RecordingServer) -> None:
    chunks = [*every(KEEP_ALIVE, 0.05, 0.3), sse("stream_complete", {"progress": 100})]
    server._responses.put(ScriptedResponse(headers=SSE_HEADERS, chunks=chunks))

    done = _call(mode, server, STREAMED[2].call, timeout=math.inf, poll_interval=0.05)

    assert done.type == "stream_complete"
