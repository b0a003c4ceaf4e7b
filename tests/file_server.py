"""A small file server of our own on 127.0.0.1, for downloads (meibel.Download / AsyncDownload).

It answers from a queue of scripted files: with or without Content-Length, cut off part-way (the
connection closed after some of the declared bytes), stalled, or large and generated block by
block, so every byte can be checked with a hash.
"""

from __future__ import annotations

import contextlib
import http
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

MIB = 1 << 20
CSV = b"id,name\n" + b"".join(b"%d,row %d\n" % (i, i) for i in range(20_000))


def block(index: int) -> bytes:
    """Block `index` (1 MiB) of a generated body: deterministic, different for every block."""
    return index.to_bytes(8, "big") * (MIB // 8)


@dataclass
class Reply:
    body: bytes = CSV
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/csv"})
    chunked: bool = False  # no Content-Length: chunked transfer encoding
    cut_after: int | None = None  # send this many bytes of the body, then close the connection
    stall: float = 0.0  # before cutting, wait this long
    blocks: int = 0  # instead of `body`: this many generated MiB blocks


@dataclass
class Request:
    method: str
    target: str
    body: bytes


class FileServer:
    """HTTP/1.1 with keep-alive on an ephemeral 127.0.0.1 port; answers from `replies`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.connections = 0
        self._replies: queue.SimpleQueue[Reply] = queue.SimpleQueue()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/v2"

    def reply(self, body: bytes = CSV, **options: Any) -> None:
        self._replies.put(Reply(body, **options))

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as incoming, contextlib.suppress(OSError):
            while True:
                line = incoming.readline()  # OSError: the client reset the connection
                if not line:
                    return
                method, target, _ = line.decode().split(" ", 2)
                length = 0
                while (header := incoming.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                self.requests.append(Request(method, target, incoming.read(length)))
                try:
                    reply = self._replies.get_nowait()
                except queue.Empty:
                    reply = Reply()
                if not self._send(connection, reply):
                    return

    @staticmethod
    def _send(connection: socket.socket, reply: Reply) -> bool:
        """Send `reply`; False when the connection was closed."""
        size = reply.blocks * MIB if reply.blocks else len(reply.body)
        phrase = http.HTTPStatus(reply.status).phrase
        head = [
            f"HTTP/1.1 {reply.status} {phrase}",
            *(f"{k}: {v}" for k, v in reply.headers.items()),
        ]
        head.append("Transfer-Encoding: chunked" if reply.chunked else f"Content-Length: {size}")
        try:
            connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            if reply.blocks:
                for index in range(reply.blocks):
                    connection.sendall(block(index))
            elif reply.cut_after is not None:
                piece = reply.body[: reply.cut_after]
                connection.sendall(
                    b"%x\r\n%s\r\n" % (len(piece), piece) if reply.chunked else piece
                )
                time.sleep(reply.stall)
                connection.shutdown(socket.SHUT_RDWR)
                return False
            elif reply.chunked:
                for start in range(0, len(reply.body), 50_000):
                    piece = reply.body[start : start + 50_000]
                    connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                connection.sendall(b"0\r\n\r\n")
            else:
                connection.sendall(reply.body)
        except OSError:
            return False
        return True

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._socket.close()
