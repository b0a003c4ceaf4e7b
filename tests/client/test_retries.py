"""Retries: which failures are retried and for which methods, how long the client waits
(Retry-After, backoff), and timeouts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import anyio
import httpx2
import pytest
from support import KEY, client_for
from wire import DroppingServer, RecordingServer

from meibel import (
    APIConnectionError,
    APITimeoutError,
    AsyncMeibelClient,
    InternalServerError,
    MeibelClient,
    RateLimitError,
)
from meibel._retry import RetryPolicy, retry_after_seconds
from meibel.models import ChatMessageRequest


def test_retry_after_seconds_is_honoured(recording_server: RecordingServer) -> None:
    recording_server.respond(429, {"detail": "slow down"}, **{"Retry-After": "1"})
    recording_server.respond(200, {"session_id": "s_1"})
    started = time.monotonic()
    with client_for(recording_server) as client:
        session = client.agents.create_session(agent_id="a")
    elapsed = time.monotonic() - started
    assert session.id == "s_1"
    assert elapsed >= 1.0
    assert len(recording_server.requests) == 2, "a 429 with Retry-After is retried even for POST"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_429_without_retry_after_on_a_post_is_retried_after_a_backoff(
    mode: str, recording_server: RecordingServer
) -> None:
    """A 429 means the server did not process the request: sending it again duplicates nothing."""
    recording_server.respond(429, {"detail": "slow down"})
    recording_server.respond(200, {"session_id": "s_1"})
    started = time.monotonic()
    if mode == "sync":
        with client_for(recording_server) as client:
            session = client.agents.create_session(agent_id="a")
    else:

        async def main() -> object:
            url = recording_server.url + "/v2"
            async with AsyncMeibelClient(api_key=KEY, base_url=url) as client:
                return await client.agents.create_session(agent_id="a")

        session = anyio.run(main)
    elapsed = time.monotonic() - started
    assert session.id == "s_1"  # type: ignore[attr-defined]
    assert [request.method for request in recording_server.requests] == ["POST", "POST"]
    assert elapsed >= 0.75 * 0.5, "the first backoff: 0.5 s less up to 25% jitter"


def test_a_429_asking_for_too_long_is_not_retried(recording_server: RecordingServer) -> None:
    recording_server.respond(429, {"detail": "come back in an hour"}, **{"Retry-After": "3600"})
    with client_for(recording_server) as client, pytest.raises(RateLimitError) as caught:
        client.agents.create_session(agent_id="a")
    assert len(recording_server.requests) == 1
    assert "come back in an hour" in str(caught.value)


def test_a_503_on_a_post_is_retried_only_when_the_server_asks(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(503, {"detail": "busy"}, **{"Retry-After": "0"})
    recording_server.respond(503, {"detail": "still busy"})
    with client_for(recording_server) as client, pytest.raises(InternalServerError) as caught:
        client.agents.create_session(agent_id="a")
    assert len(recording_server.requests) == 2, "the second 503 gave no Retry-After: final"
    assert "still busy" in str(caught.value)


def test_retry_after_http_date_is_parsed() -> None:
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    delay = retry_after_seconds(httpx2.Headers({"Retry-After": later}), now=now.timestamp())
    assert delay == pytest.approx(7.0)
    assert retry_after_seconds(httpx2.Headers({"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(httpx2.Headers({"Retry-After": "soon"})) is None


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=4.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (5, 4.0)]:
        delay = policy.backoff(attempt)
        assert 0.75 * ceiling <= delay <= ceiling


def test_server_errors_on_get_are_retried_up_to_max_retries(
    recording_server: RecordingServer,
) -> None:
    for _ in range(3):
        recording_server.respond(503, {"detail": "busy"})
    with client_for(recording_server) as client:
        client._retry = RetryPolicy(max_retries=2, initial_delay=0.01)
        with pytest.raises(InternalServerError):
            client.sessions.get_session(session_id="s")
    assert len(recording_server.requests) == 3


def test_max_retries_per_call_with_options(recording_server: RecordingServer) -> None:
    recording_server.respond(503, {"detail": "busy"})
    with client_for(recording_server) as client, pytest.raises(InternalServerError):
        client.with_options(max_retries=0).sessions.get_session(session_id="s")
    assert len(recording_server.requests) == 1


def test_server_error_on_post_is_not_retried(recording_server: RecordingServer) -> None:
    recording_server.respond(500, {"detail": "boom"})
    with client_for(recording_server) as client, pytest.raises(InternalServerError):
        client.sessions.send_chat_message(session_id="s", body=ChatMessageRequest(user_message="x"))
    assert len(recording_server.requests) == 1


def test_post_is_not_retried_after_the_connection_dropped() -> None:
    with DroppingServer() as server:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2", max_retries=3)
        with pytest.raises(APIConnectionError) as caught:
            client.sessions.send_chat_message(
                session_id="s", body=ChatMessageRequest(user_message="x")
            )
        client.close()
        assert len(server.requests) == 1, "the request reached the server: never sent twice"
        assert server.requests[0].body.endswith(b'{"user_message":"x"}')
    assert KEY not in str(caught.value)


def test_get_is_retried_after_the_connection_dropped() -> None:
    with DroppingServer() as server:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2", max_retries=2)
        client._retry = RetryPolicy(max_retries=2, initial_delay=0.01)
        with pytest.raises(APIConnectionError):
            client.sessions.get_session(session_id="s")
        client.close()
        assert len(server.requests) == 3


def test_connection_refused_is_retried_and_raises_a_connection_error() -> None:
    client = MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    client._retry = RetryPolicy(max_retries=1, initial_delay=0.01)
    with pytest.raises(APIConnectionError) as caught:
        client.sessions.send_chat_message(session_id="s", body=ChatMessageRequest(user_message="x"))
    assert "POST http://127.0.0.1:9/v2/sessions/s/chat" in str(caught.value)
    client.close()


def test_timeouts_raise_api_timeout_error(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"session_id": "s"}, delay=1.0)
    client = client_for(recording_server, timeout=0.2, max_retries=0)
    with client, pytest.raises(APITimeoutError):
        client.agents.create_session(agent_id="a")
    assert issubclass(APITimeoutError, APIConnectionError)
