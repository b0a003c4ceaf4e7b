"""Test doubles that work on the wire: a recording HTTP server on 127.0.0.1 and a multipart parser.

The server records every request exactly as received (meibel.testing's RecordedRequest: method,
target, headers, raw body) and answers from a queue of scripted responses, so tests assert on
real bytes, not on mocks. Server, request reader and parser are meibel.testing's own
(meibel/testing/_server.py, _routing.py): the tree has one of each.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from meibel.testing import FilePart, RecordedRequest
from meibel.testing._routing import parse_multipart
from meibel.testing._server import LoopbackHandler, LoopbackServer

__all__ = [
    "DroppingServer",
    "FilePart",
    "LoopbackHandler",
    "LoopbackServer",
    "RecordedRequest",
    "RecordingServer",
    "every",
    "iter_parts",
    "parse_multipart",
    "sse",
]


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


class RecordingServer(LoopbackServer):
    """A threaded HTTP/1.1 server on an ephemeral 127.0.0.1 port."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._responses: queue.SimpleQueue[ScriptedResponse] = queue.SimpleQueue()
        self.connections = 0
        server = self

        class Handler(LoopbackHandler):
            def _handle(self) -> None:
                server.requests.append(self.received())
                try:
                    response = server._responses.get_nowait()
                except queue.Empty:
                    response = ScriptedResponse()
                if response.delay:
                    time.sleep(response.delay)
                if response.chunks is None:
                    self.send_whole(response.status, response.headers, response.body)
                else:
                    self.send_stream(
                        response.status, response.headers, response.chunks, drop=response.drop
                    )

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def setup(self) -> None:
                super().setup()
                server.connections += 1

        super().__init__(Handler, name="RecordingServer")

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
        **extra_headers: str,
    ) -> None:
        """Queue a streamed (chunked) response to the next request."""
        headers = {"Content-Type": content_type, "Cache-Control": "no-cache", **extra_headers}
        self._responses.put(ScriptedResponse(status, b"", headers, 0.0, chunks, drop))

    def reset(self) -> None:
        """Forget the requests received and the responses still queued (a shared server)."""
        self.requests.clear()
        while True:
            try:
                self._responses.get_nowait()
            except queue.Empty:
                return

    def __enter__(self) -> RecordingServer:
        super().__enter__()
        return self


def sse(name: str, data: object) -> bytes:
    """One server-sent event named `name` carrying `data` as JSON."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def every(item: bytes, pause: float, seconds: float) -> list[bytes | float]:
    """Stream chunks: `item` every `pause` seconds, for `seconds`."""
    chunks: list[bytes | float] = []
    for _ in range(int(seconds / pause)):
        chunks += [item, pause]
    return chunks


def iter_parts(parts: list[FilePart], name: str) -> Iterator[FilePart]:
    return (part for part in parts if part.field == name)


class DroppingServer(LoopbackServer):
    """Reads each request completely, then closes the connection without answering."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        server = self

        class Handler(LoopbackHandler):
            def _handle(self) -> None:
                server.requests.append(self.received())
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        super().__init__(Handler, name="DroppingServer")

    def __enter__(self) -> DroppingServer:
        super().__enter__()
        return self
