"""Loopback servers in their own process (a thread would share our GIL and skew timings)."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.queues
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeAlias

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _drain(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while size := int(self.rfile.readline().split(b";")[0], 16):
                self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, 1 << 20)))

    def _answer(self, body: bytes) -> None:
        self._drain()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

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


def _serve_threads(port: Port) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
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
    handler = type("_Chat", (_ChatHandler,), {"payload": payload + b"0\r\n\r\n"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port.put(server.server_address[1])
    server.serve_forever()


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


def loopback_server() -> AbstractContextManager[str]:
    """A server answering GET /v2/sessions/<id> and any POST (body read and discarded)."""
    return _in_process(_serve_threads)


def session_server() -> AbstractContextManager[str]:
    """A fast asyncio server answering any GET with the session, so client costs dominate."""
    return _in_process(_serve_session)


def chat_server(events: list[bytes]) -> AbstractContextManager[str]:
    """A server answering any POST with `events` (SSE bytes) as a stream, one HTTP chunk each."""
    return _in_process(partial(_serve_chat, events))
