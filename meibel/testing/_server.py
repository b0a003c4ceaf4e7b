"""The loopback HTTP server of the tree: FakeMeibel's, tests/wire.py's and the benchmarks'.

`QuietServer` is the one threaded HTTP/1.1 server class, `LoopbackHandler` the one request
reader (sized and chunked bodies) and stream writer, `LoopbackServer` runs one on a thread.
tests/structure/test_one_of_each.py keeps it the only one.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ._answer import SSE_HEADERS, Handler, content_headers
from ._records import Headers, RecordedRequest

__all__ = ["FakeServer", "LoopbackHandler", "LoopbackServer", "QuietServer", "loopback_httpd"]

# Read size when a sized body is dropped unread (a benchmark's 1 GiB upload stays out of memory).
_DRAIN_READ = 1 << 20


class QuietServer(ThreadingHTTPServer):
    """A threaded server that says nothing when a client goes away mid-answer (as clients may)."""

    daemon_threads = True
    # socketserver's default backlog is 5: a burst of concurrent clients (upload_folder's
    # workers) on a loaded machine overflowed it, and a connection was reset before accept().
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def loopback_httpd(handler: type[BaseHTTPRequestHandler]) -> QuietServer:
    """A QuietServer bound to an ephemeral port on 127.0.0.1 (not serving yet)."""
    return QuietServer(("127.0.0.1", 0), handler)


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, silent, no Nagle delay (as production servers stream); reads bodies
    sized or chunked and writes answers whole or as a stream of chunks."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def received(self) -> RecordedRequest:
        """The request, its body read: what a recording keeps (nothing parsed)."""
        headers = Headers(self.headers.items())
        return RecordedRequest.received(self.command, self.path, headers, self.read_body())

    def read_body(self, *, keep: bool = True) -> bytes:
        """The request body, by Content-Length or chunked (trailers skipped).

        `keep=False` reads it in 1 MiB pieces and drops them (returns b"").
        """
        pieces: list[bytes] = []
        rfile = self.rfile
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while size := int(rfile.readline().split(b";")[0], 16):
                piece = rfile.read(size)
                if keep:
                    pieces.append(piece)
                rfile.readline()
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(pieces)
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            piece = rfile.read(remaining if keep else min(remaining, _DRAIN_READ))
            if not piece:
                break  # the client went away
            remaining -= len(piece)
            if keep:
                pieces.append(piece)
        return b"".join(pieces)

    def send_whole(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        """Answer `status` with `headers` and `body` (its Content-Length added)."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_stream(
        self,
        status: int,
        headers: Mapping[str, str],
        chunks: Iterable[bytes | float],
        *,
        drop: bool = False,
    ) -> None:
        """Answer with a chunked body: each bytes item one chunk, sent at once; a float pauses
        that many seconds. `drop` closes the connection instead of ending the body."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            for chunk in chunks:
                if isinstance(chunk, float):
                    time.sleep(chunk)
                    continue
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            if drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except ConnectionError:
            self.close_connection = True  # the client went away: nothing to finish


class LoopbackServer:
    """A QuietServer for `handler` on 127.0.0.1, served on a daemon thread while entered.

    It checks for shutdown every `poll_interval` seconds, so leaving it takes at most that long.
    """

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        name: str = "loopback",
        poll_interval: float = 0.05,
    ) -> None:
        self.httpd = loopback_httpd(handler)
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, args=(poll_interval,), name=name, daemon=True
        )

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()


class FakeServer(LoopbackServer):
    """Serves a Handler (a FakeMeibel) until closed; streams are chunked, one flush per event.

    Each request is answered on its own thread; schema errors are answered as 500s.
    """

    def __init__(self, fake: Handler) -> None:
        class FakeHandler(LoopbackHandler):
            def _handle(self) -> None:
                request = self.received()
                answer = fake.handle(
                    request.method,
                    request.target,
                    request.headers,
                    request.body,
                    raise_schema_errors=False,
                )
                if answer.events is None:
                    # A file answer brings its own headers; every other answer is JSON.
                    self.send_whole(answer.status, content_headers(answer), answer.json_bytes())
                else:
                    self.send_stream(answer.status, SSE_HEADERS, answer.events, drop=answer.drop)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        super().__init__(FakeHandler, name="FakeMeibel")
