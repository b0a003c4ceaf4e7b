"""Loopback servers in their own process (a thread would share our GIL and skew timings).

The threaded ones are meibel.testing's loopback server (meibel/testing/_server.py), the tree's one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.queues
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import TypeAlias

from meibel.testing._server import LoopbackHandler, loopback_httpd

SESSION = (
    b'{"agent_id": "a", "agent_name": "n", "version": "1", "status": "running", "messages": [],'
    b' "tool_activity": [], "token_usage": [], "file_parsing": [], "result": []}'
)
_SESSION_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    % len(SESSION)
) + SESSION
UPLOADED = (
    b'{"success": true, "message": "ok", "datasource_id": "d", "upload_id": "u",'
    b' "sse_url": "/datasources/uploads/u/progress"}'
)

# The child reports the port it listens on (a string: Queue is not subscriptable at runtime).
Port: TypeAlias = "multiprocessing.queues.Queue[int]"


class _Handler(LoopbackHandler):
    """Answers GET with the session and POST with an upload's answer, the body read and dropped."""

    def _drain(self) -> None:
        self.read_body(keep=False)

    def _answer(self, body: bytes) -> None:
        self._drain()
        self.send_whole(200, {"Content-Type": "application/json"}, body)

    def do_GET(self) -> None:
        self._answer(SESSION)

    def do_POST(self) -> None:
        self._answer(UPLOADED)


class _SessionProtocol(asyncio.Protocol):
    """Answers every request with the session: bodiless requests only (GETs), kept alive."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            self.buffer = self.buffer[end + 4 :]
            self.transport.write(_SESSION_RESPONSE)


class _ChatHandler(_Handler):
    """Answers any POST with `payload`: a chunked text/event-stream, encoded once."""

    payload = b""

    def do_POST(self) -> None:
        self._drain()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(self.payload)


def _serve_threads(handler: type[LoopbackHandler], port: Port) -> None:
    server = loopback_httpd(handler)
    port.put(server.server_address[1])
    server.serve_forever()


def _serve_session(port: Port) -> None:
    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(_SessionProtocol, "127.0.0.1", 0)
        port.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(serve())


def _serve_chat(events: list[bytes], port: Port) -> None:
    # One HTTP chunk per event, as a streaming server flushes them.
    payload = b"".join(b"%x\r\n%s\r\n" % (len(event), event) for event in events)
    _serve_threads(type("_Chat", (_ChatHandler,), {"payload": payload + b"0\r\n\r\n"}), port)


@contextmanager
def _in_process(serve: Callable[[Port], None]) -> Iterator[str]:
    queue: Port = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{queue.get(timeout=10)}"
    finally:
        process.terminate()
        process.join()


def threaded_server(handler: type[LoopbackHandler]) -> AbstractContextManager[str]:
    """The loopback server answering with `handler`, a thread per connection."""
    return _in_process(partial(_serve_threads, handler))


def loopback_server() -> AbstractContextManager[str]:
    """A server answering GET /v2/sessions/<id> and any POST (body read and discarded)."""
    return threaded_server(_Handler)


def session_server() -> AbstractContextManager[str]:
    """A fast asyncio server answering any GET with the session, so client costs dominate."""
    return _in_process(_serve_session)


def chat_server(events: list[bytes]) -> AbstractContextManager[str]:
    """A server answering any POST with `events` (SSE bytes) as a stream, one HTTP chunk each."""
    return _in_process(partial(_serve_chat, events))
