"""AsyncMeibelClient's own pool takes no more requests than it has connections (100); the rest
wait in the client (meibel/_admission.py) and go in as responses are closed, on the connections
those leave.

Against a real server on 127.0.0.1 (tests/wire.py). Streams held open take every slot; what
waits behind them goes through once one is closed, fails with the pool-exhausted error past its
pool timeout, and takes nothing when cancelled or failed.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from chat_events import FINAL, KEY, chat_events
from wire import RecordingServer

from meibel import APIConnectionError, APITimeoutError, AsyncMeibelClient
from meibel.models import ChatMessageRequest

BODY = ChatMessageRequest(user_message="hi")
SLOTS = 100  # meibel._settings.POOL_LIMITS: 100 connections, as many kept open when idle
POOL_EXHAUSTED = "the connection pool is exhausted"

pytestmark = pytest.mark.anyio


def _client(url: str, **options: Any) -> AsyncMeibelClient:
    return AsyncMeibelClient(api_key=KEY, base_url=url + "/v2", max_retries=0, **options)


async def _stream(client: AsyncMeibelClient) -> Any:
    return await client.sessions.send_chat_message_stream(session_id="s", body=BODY)


@asynccontextmanager
async def _every_slot_held(
    server: RecordingServer, **options: Any
) -> AsyncIterator[tuple[AsyncMeibelClient, list[Any]]]:
    """A client whose every slot is held by an open, unread stream."""
    for _ in range(SLOTS + 5):
        server.stream(chat_events())
    async with _client(server.url, **options) as client:
        held = [await _stream(client) for _ in range(SLOTS)]
        try:
            yield client, held
        finally:
            for stream in held:
                await stream.aclose()


async def test_more_streams_at_once_than_connections_all_finish(
    recording_server: RecordingServer,
) -> None:
    for _ in range(3 * SLOTS):
        recording_server.stream(chat_events())
    async with _client(recording_server.url) as client:

        async def one() -> str:
            stream = await _stream(client)
            async with stream:
                return (await stream.final_response()).message

        assert await asyncio.gather(*(one() for _ in range(3 * SLOTS))) == [FINAL] * (3 * SLOTS)
    # Each connection freed by a closed stream is the next waiting request's: none reopened.
    assert recording_server.connections <= SLOTS


async def test_a_request_behind_held_streams_goes_in_when_one_is_closed(
    recording_server: RecordingServer,
) -> None:
    timeout = httpx2.Timeout(30.0, pool=5.0)
    async with _every_slot_held(recording_server, timeout=timeout) as (client, held):
        waiting = asyncio.create_task(_stream(client))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await held.pop().aclose()
        stream = await waiting
        assert (await stream.final_response()).message == FINAL


async def test_a_request_waiting_past_its_pool_timeout_says_the_pool_is_exhausted(
    recording_server: RecordingServer,
) -> None:
    timeout = httpx2.Timeout(30.0, pool=0.2)
    async with _every_slot_held(recording_server, timeout=timeout) as (client, held):
        with pytest.raises(APITimeoutError, match=POOL_EXHAUSTED) as caught:
            await _stream(client)
        assert "within the pool timeout of 0.2 s" in str(caught.value)
        assert not caught.value.request_sent
        await held.pop().aclose()
        assert (await (await _stream(client)).final_response()).message == FINAL


async def test_a_cancelled_wait_takes_no_slot(recording_server: RecordingServer) -> None:
    timeout = httpx2.Timeout(30.0, pool=5.0)
    async with _every_slot_held(recording_server, timeout=timeout) as (client, held):
        waiting = [asyncio.create_task(_stream(client)) for _ in range(3)]
        await asyncio.sleep(0.1)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        await held.pop().aclose()
        assert (await (await _stream(client)).final_response()).message == FINAL


async def test_requests_that_fail_give_their_slot_back() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    timeout = httpx2.Timeout(5.0, pool=0.5)
    async with _client(f"http://127.0.0.1:{port}", timeout=timeout) as client:
        for _ in range(SLOTS + 20):
            with pytest.raises(APIConnectionError) as caught:
                await client.sessions.get_session(session_id="s")
            assert POOL_EXHAUSTED not in str(caught.value)


async def test_a_pool_of_the_callers_is_not_limited_by_the_client(
    recording_server: RecordingServer,
) -> None:
    for _ in range(SLOTS + 1):
        recording_server.stream(chat_events())
    limits = httpx2.Limits(max_connections=SLOTS + 1)
    async with (
        httpx2.AsyncClient(limits=limits) as http,
        _client(recording_server.url, http_client=http) as client,
    ):
        held = [await _stream(client) for _ in range(SLOTS + 1)]
        for stream in held:
            await stream.aclose()
