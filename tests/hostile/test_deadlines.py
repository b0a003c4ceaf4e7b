"""A call given `deadline=` ends by it, whatever the server sends (issue #19, row 3).

Against real HTTP on 127.0.0.1 (tests/wire.py), sync and async. The server keeps going well past
the deadline. The bound asserted is the deadline plus 1 s; the cases that end late without the
watchdog (or cancel scope) end 1.8 s late.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from wire import RecordingServer

from meibel import APITimeoutError, AsyncMeibelClient, MeibelClient

KEY = "sk-stream-deadlines"
DEADLINE = 2.0
BOUND = DEADLINE + 1.0


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def _server() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        # The client leaves each stream at its deadline: the server's next write fails.
        server.httpd.handle_error = lambda request, client_address: None
        yield server


@pytest.fixture
def server(_server: RecordingServer) -> RecordingServer:
    _server.requests.clear()
    return _server


def _every(item: bytes, pause: float, seconds: float) -> list[bytes | float]:
    """`item` every `pause` seconds for `seconds`: far longer than any deadline here."""
    chunks: list[bytes | float] = []
    for _ in range(int(seconds / pause)):
        chunks += [item, pause]
    return chunks


def _run(
    mode: str, server: RecordingServer | str, use: Callable[[Any], Any], **settings: Any
) -> Any:
    """`use(client)` on a MeibelClient of `server` (or a base URL), or awaited on an async one."""
    base_url = server if isinstance(server, str) else server.url + "/v2"
    options = {"api_key": KEY, "base_url": base_url, **settings}
    if mode == "sync":
        with MeibelClient(**options) as client:
            return use(client)

    async def run() -> Any:
        async with AsyncMeibelClient(**options) as client:
            return await use(client)

    return anyio.run(run)


# -- whole answers --------------------------------------------------------------------------


def test_a_whole_answer_that_stops_midway_ends_at_its_deadline(
    mode: str, server: RecordingServer
) -> None:
    body = json.dumps({"job_id": "j_1", "status": "processing", "format": "pdf"}).encode()
    server.stream(
        [*_every(b" ", 0.1, 1.8), body[:10], 8.0], content_type="application/json"
    )  # JSON allows the leading spaces
    started = time.monotonic()

    def use(client: Any) -> Any:
        return client.documents.get_document_status("j_1", deadline=DEADLINE)

    with pytest.raises(APITimeoutError, match=r"no complete answer within the deadline of 2 s"):
        _run(mode, server, use)
    assert time.monotonic() - started <= BOUND
    assert len(server.requests) == 1
