"""Test doubles that work on the wire: a recording HTTP server on 127.0.0.1 and a multipart parser.

The server records every request exactly as received (method, path, headers, raw body) and
answers from a queue of scripted responses, so tests assert on real bytes, not on mocks.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler

from python_multipart.multipart import MultipartParser, parse_options_header

from meibel.testing._server import QuietServer


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: Message
    body: bytes


@dataclass
class ScriptedResponse:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0
    # A streamed body: bytes are sent as chunks (flushed at once), floats are pauses in seconds.
    chunks: list[bytes | float] | None = None
    # End a streamed body by closing the connection instead of finishing it.
    drop: bool = False


class RecordingServer:
    """A threaded HTTP/1.1 server on an ephemeral 127.0.0.1 port."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._responses: queue.SimpleQueue[ScriptedResponse] = queue.SimpleQueue()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                body = self._read_body()
                server.requests.append(RecordedRequest(self.command, self.path, self.headers, body))
                try:
                    response = server._responses.get_nowait()
                except queue.Empty:
                    response = ScriptedResponse()
                if response.delay:
                    time.sleep(response.delay)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if response.chunks is None:
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                try:
                    for chunk in response.chunks:
                        if isinstance(chunk, float):
                            time.sleep(chunk)
                            continue
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    if response.drop:
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client went away: nothing to finish

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def setup(self) -> None:
                super().setup()
                # As production servers do: no Nagle delay between a stream's small writes.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                server.connections += 1

        self.connections = 0
        self._httpd = QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(
        self, status: int = 200, body: bytes | object = b"{}", *, delay: float = 0.0, **headers: str
    ) -> None:
        """Queue the response to the next request (a non-bytes body is sent as JSON)."""
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        merged = {"Content-Type": "application/json", **headers}
        self._responses.put(ScriptedResponse(status, body, merged, delay))

    def stream(
        self,
        chunks: list[bytes | float],
        *,
        status: int = 200,
        drop: bool = False,
        content_type: str = "text/event-stream",
    ) -> None:
        """Queue a streamed (chunked) response to the next request."""
        headers = {"Content-Type": content_type, "Cache-Control": "no-cache"}
        self._responses.put(ScriptedResponse(status, b"", headers, 0.0, chunks, drop))

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """Parse a multipart/form-data body with python-multipart (the parser Starlette uses)."""
    message = Message()
    message["Content-Type"] = content_type
    boundary = message.get_param("boundary")
    assert isinstance(boundary, str), f"no boundary in {content_type!r}"
    parts: list[Part] = []
    headers: dict[str, str] = {}
    current: dict[str, bytearray] = {
        "field": bytearray(),
        "value": bytearray(),
        "data": bytearray(),
    }

    def on_header_field(data: bytes, start: int, end: int) -> None:
        current["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        current["value"] += data[start:end]

    def on_header_end() -> None:
        headers[current["field"].decode().lower()] = current["value"].decode("utf-8")
        current["field"], current["value"] = bytearray(), bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current["data"] += data[start:end]

    def on_part_end() -> None:
        disposition = headers.get("content-disposition", "").encode("utf-8")
        _, params = parse_options_header(disposition)
        name = params.get(b"name", b"").decode("utf-8")
        raw_filename = params.get(b"filename")
        filename = None if raw_filename is None else raw_filename.decode("utf-8")
        parts.append(Part(name, filename, headers.get("content-type"), bytes(current["data"])))
        headers.clear()
        current["data"] = bytearray()

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(body)
    parser.finalize()
    return parts


def iter_parts(parts: list[Part], name: str) -> Iterator[Part]:
    return (part for part in parts if part.name == name)


class DroppingServer:
    """Accepts connections, reads each request completely, then closes without answering."""

    def __init__(self) -> None:
        import socket

        self.requests: list[bytes] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.requests.append(head + b"\r\n\r\n" + body)

    def __enter__(self) -> DroppingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()
