"""Connections and file handles: streams abandoned mid-way leave none of either behind.

1,000 chat streams per client, each sending a file the SDK opens from a path and abandoned after
its first content event in one of three ways (break, an exception, close), against a real server
on 127.0.0.1 that is still streaming. The server runs in its own process, so every socket in this
one is the client's. Counted after every stream: the client's open sockets and its descriptors on
the attachment (both must be 0); at the end, all of this process's descriptors (back to where they
started) and the server's open connections (none).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from meibel import AsyncMeibelClient, MeibelClient
from meibel.models import ChatMessageRequest

STREAMS = 1000
KEY = "sk-hygiene"
BODY = ChatMessageRequest(user_message="hi")


class Abandoned(Exception):
    pass


SERVER = """
import json, sys, threading
sys.path.insert(0, sys.argv[1])
from meibel.testing._server import LoopbackHandler, loopback_httpd
from chat_events import chat_events

events = chat_events()
parts = [*events[:6], 0.05, *events[6:]]  # mid-stream when the client walks away
lock = threading.Lock()
stats = {"streams": 0, "stream_connections": 0, "open": 0}

class Handler(LoopbackHandler):
    def setup(self):
        super().setup()
        self.streams = 0
        with lock:
            stats["open"] += 1

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        with lock:
            stats["open"] -= 1

    def do_GET(self):  # /stats, without counting the asking connection
        with lock:
            body = json.dumps({**stats, "open": stats["open"] - 1}).encode()
        self.send_whole(200, {"Connection": "close"}, body)
        self.close_connection = True

    def do_POST(self):
        self.read_body()
        with lock:
            stats["streams"] += 1
            stats["stream_connections"] += self.streams == 0
        self.streams += 1
        self.send_stream(200, {"Content-Type": "text/event-stream"}, parts)

server = loopback_httpd(Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The streaming server in its own process; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(Path(__file__).parents[1])],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{process.stdout.readline().strip()}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def server_stats(url: str) -> dict[str, int]:
    with httpx2.Client() as http:
        stats: dict[str, int] = http.get(url + "/stats").json()
    return stats


def _fd_targets() -> list[str]:
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # closed while listing
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
    return targets


def open_fds() -> int:
    return len(_fd_targets())


def client_sockets() -> int:
    return sum(target.startswith("socket:") for target in _fd_targets())


def assert_released(attachment: Path, number: int, sockets: int = 0) -> None:
    """No socket beyond `sockets` (asyncio's loop holds a socket pair) and no attachment open."""
    targets = _fd_targets()
    open_sockets = sum(t.startswith("socket:") for t in targets)
    assert open_sockets == sockets, f"stream {number}: a socket is open"
    assert targets.count(str(attachment)) == 0, f"stream {number}: the attachment is still open"


def settle(check: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)


def assert_server_released(server: str, before: dict[str, int]) -> None:
    """Every connection closed, and one per stream: none abandoned mid-stream was reused."""
    settle(lambda: server_stats(server)["open"] == 0)
    after = server_stats(server)
    assert after["open"] == 0
    assert after["streams"] - before["streams"] == STREAMS
    assert after["stream_connections"] - before["stream_connections"] == STREAMS


def consume_until_content(stream: Any) -> None:
    for event in stream:
        if event.type == "content":
            raise Abandoned


async def aconsume_until_content(stream: Any) -> None:
    async for event in stream:
        if event.type == "content":
            raise Abandoned


@pytest.fixture
def attachment(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(10_000))
    return path


def test_a_thousand_abandoned_sync_streams_leave_nothing_open(
    server: str, attachment: Path
) -> None:
    before = server_stats(server)
    baseline = open_fds()
    with MeibelClient(api_key=KEY, base_url=server + "/v2") as client:
        for number in range(1, STREAMS + 1):
            stream = client.sessions.send_chat_message_stream(
                session_id="s", body=BODY, files=[attachment]
            )
            how = ("break", "exception", "close")[number % 3]
            if how == "break":
                for event in stream:
                    if event.type == "content":
                        break
            elif how == "exception":
                with pytest.raises(Abandoned):
                    consume_until_content(stream)
            else:
                next(event for event in stream if event.type == "content")
                stream.close()
            assert stream.response.is_closed
            assert_released(attachment, number)
    assert open_fds() == baseline
    assert_server_released(server, before)


async def _abandon(client: AsyncMeibelClient, attachment: Path, how: str) -> Any:
    stream = await client.sessions.send_chat_message_stream(
        session_id="s", body=BODY, files=[attachment]
    )
    if how == "break":
        # No `async with`: the abandoned async generator is finalised by the event loop.
        async for event in stream:
            if event.type == "content":
                break
    elif how == "exception":
        with pytest.raises(Abandoned):
            await aconsume_until_content(stream)
    else:
        async for event in stream:
            if event.type == "content":
                break
        await stream.aclose()
    return stream


def test_a_thousand_abandoned_async_streams_leave_nothing_open(
    server: str, attachment: Path
) -> None:
    before = server_stats(server)
    baseline = open_fds()

    async def run() -> None:
        loop_sockets = client_sockets()
        async with AsyncMeibelClient(api_key=KEY, base_url=server + "/v2") as client:
            for number in range(1, STREAMS + 1):
                how = ("break", "exception", "close")[number % 3]
                stream = await _abandon(client, attachment, how)
                # asyncio closes a transport's socket on the loop's next turn, and a bare `break`
                # leaves the async generator to the loop's finaliser hook: give it a few turns.
                for _ in range(50):
                    if stream.response.is_closed and client_sockets() == loop_sockets:
                        break
                    await asyncio.sleep(0)
                assert stream.response.is_closed
                assert_released(attachment, number, sockets=loop_sockets)

    asyncio.run(run())
    assert open_fds() == baseline
    assert_server_released(server, before)
