"""Loopback servers in their own process (a thread would share our GIL and skew timings)."""

from __future__ import annotations

import multiprocessing
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SESSION = (
    b'{"agent_id": "a", "agent_name": "n", "version": "1", "status": "running", "messages": [],'
    b' "tool_activity": [], "token_usage": [], "file_parsing": [], "result": []}'
)
UPLOADED = (
    b'{"success": true, "message": "ok", "datasource_id": "d", "upload_id": "u",'
    b' "sse_url": "/datasources/uploads/u/progress"}'
)


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


def _serve(port: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port.put(server.server_address[1])
    server.serve_forever()


@contextmanager
def loopback_server() -> Iterator[str]:
    """A server answering GET /v2/sessions/<id> and any POST (body read and discarded)."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{queue.get(timeout=10)}"
    finally:
        process.terminate()
        process.join()
