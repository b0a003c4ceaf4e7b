"""One rate gate per client: a 429 or 503 told to one call pauses every call of that client (and
of its with_options copies), not another client's; folder uploads halve their concurrency per
throttling episode and grow it back one at a time."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import pytest
from fault_server import DATASOURCE, FaultServer
from support import KEY, client_for
from wire import RecordingServer

from meibel import (
    APITimeoutError,
    AsyncMeibelClient,
    InternalServerError,
    MeibelClient,
    RateLimitError,
    ServerError,
)
from meibel._rate_gate import FIRST_PAUSE, Concurrency, RateGate


def ping(client: MeibelClient) -> Callable[[], object]:
    return lambda: client.get("/ping")


def _timed(call: Callable[[], object]) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def test_a_429_told_to_one_call_pauses_the_next_call_for_its_retry_after(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(429, {"detail": "slow down"}, **{"Retry-After": "1"})
    with client_for(recording_server, max_retries=0) as client:
        with pytest.raises(RateLimitError):
            client.get("/ping")  # not retried: max_retries=0
        assert _timed(ping(client)) >= 0.9  # another call: held at the gate
        assert _timed(ping(client)) < 0.5  # open again
    assert len(recording_server.requests) == 3


def test_copies_share_the_gate_and_other_clients_do_not(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(429, {"detail": "slow down"}, **{"Retry-After": "1"})
    with (
        client_for(recording_server, max_retries=0) as client,
        client_for(recording_server) as other,
    ):
        with pytest.raises(RateLimitError):
            client.get("/ping")
        assert _timed(ping(other)) < 0.5
        assert _timed(ping(client.with_options(timeout=5))) >= 0.8


def test_a_503_on_a_post_is_not_resent_but_pauses_the_client(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(503, {"detail": "overloaded"})  # no Retry-After: a backoff
    with client_for(recording_server) as client:
        with pytest.raises(ServerError):
            client.agents.create_session(agent_id="a")  # maybe processed: not sent again
        assert len(recording_server.requests) == 1
        assert _timed(ping(client)) >= SHORTEST_BACKOFF


# The gate's first backoff less its 25% jitter, less some slack for the clock.
SHORTEST_BACKOFF = FIRST_PAUSE * 0.75 - 0.01


def test_a_call_whose_deadline_ends_within_the_pause_fails_at_once_unsent(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(429, {"detail": "slow down"}, **{"Retry-After": "5"})
    with client_for(recording_server, max_retries=0) as client:
        with pytest.raises(RateLimitError):
            client.get("/ping")
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"never sent|not sent") as caught:
            client.get("/ping", deadline=1)
        assert time.monotonic() - started < 0.5
        assert caught.value.request_sent is False
    assert len(recording_server.requests) == 1


def test_async_calls_wait_at_the_gate_too(recording_server: RecordingServer) -> None:
    recording_server.respond(500, {"detail": "x"})
    recording_server.respond(429, {"detail": "slow down"}, **{"retry-after-ms": "800"})
    url = recording_server.url + "/v2"

    async def main() -> tuple[float, float]:
        async with AsyncMeibelClient(api_key=KEY, base_url=url, max_retries=0) as client:
            with pytest.raises(InternalServerError):  # a 500 does not close the gate
                await client.get("/ping")
            fast = await _atimed(lambda: client.get("/ping"))
            return fast, await _atimed(lambda: client.get("/ping"))

    async def _atimed(call: Callable[[], Awaitable[object]]) -> float:
        started = time.monotonic()
        with contextlib.suppress(RateLimitError):
            await call()
        return time.monotonic() - started

    fast, held = anyio.run(main)
    assert fast < 0.5  # this one got the 429 (not retried) ...
    assert held >= 0.7  # ... and the next waited for it


def test_concurrency_halves_per_episode_and_grows_back_one_at_a_time() -> None:
    gate = RateGate()
    pace = Concurrency(gate, 8)
    assert pace.limit == 8
    gate.close_for(0.05)
    gate.close_for(0.05)  # the same episode: the gate was closed already
    gate.close_for(0.05)
    assert pace.limit == 4
    time.sleep(0.06)
    gate.close_for(0.01)
    assert pace.limit == 2
    for _ in range(3):
        pace.succeeded()
    assert pace.limit == 3  # 2 + 1/2 + 1/2.5 + ...: one more per `limit` successes
    for _ in range(100):
        pace.succeeded()
    assert pace.limit == 8  # never above what was asked
    for _ in range(5):
        time.sleep(0.02)
        gate.close_for(0.01)
    assert pace.limit == 1  # never below one


def test_the_backoff_grows_with_episodes_in_a_row_and_a_success_resets_it() -> None:
    gate = RateGate()
    gate.close_for(0.0)
    gate.close_for(0.0)
    assert gate.streak == 2
    gate.succeeded()
    assert gate.streak == 0
    assert gate.wait() == 0.0


def test_a_throttled_folder_upload_runs_fewer_uploads_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for index in range(80):
        (folder / f"f{index:02}.txt").write_bytes(b"x" * 100)
    with FaultServer(delay=0.02) as server:
        server.admit = 2  # an upload arriving while 2 are under way is told 429
        with MeibelClient(api_key=KEY, base_url=server.url) as client:
            report = client.file_upload.upload_folder(DATASOURCE, folder, concurrency=8)
    assert report.ok
    assert len(server.stored) == 80
    assert set(server.stored.values()) == {1}
    busy = [count for _, method, count in server.arrivals if method == "POST"]
    assert max(busy) >= 3  # it started at 8 ...
    assert max(busy[len(busy) // 2 :]) <= 4  # ... and adapted: at most 4 at once later on
