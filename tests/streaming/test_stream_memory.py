"""What a finished stream keeps: nothing, once the caller drops it.

A stream in a reference cycle lives (with its whole reply) until the cyclic collector next runs,
which under many concurrent streams means hundreds of finished replies held at once. These tests
run with the collector off, so only reference counting frees anything.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from chat_events import FINAL, KEY, chat_events
from wire import RecordingServer

from meibel import AsyncMeibelClient, MeibelClient
from meibel.models import ChatMessageRequest

BODY = ChatMessageRequest(user_message="hi")


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.usefixtures("no_cyclic_gc")
def test_a_read_chat_stream_is_freed_without_the_cyclic_collector(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(chat_events())
    with MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        stream = client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        with stream:
            assert stream.final_response().message == FINAL
        freed = weakref.ref(stream)
        del stream
        assert freed() is None


@pytest.mark.anyio
@pytest.mark.usefixtures("no_cyclic_gc")
async def test_a_read_async_chat_stream_is_freed_without_the_cyclic_collector(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(chat_events())
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        stream = await client.sessions.send_chat_message_stream(session_id="s", body=BODY)
        async with stream:
            assert (await stream.final_response()).message == FINAL
        freed = weakref.ref(stream)
        del stream
        assert freed() is None
