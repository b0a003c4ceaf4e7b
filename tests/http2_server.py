"""An HTTP/2 server for the tests: hypercorn on 127.0.0.1 over TLS with a throwaway trustme CA,
negotiating h2 by ALPN as a production server does. It hashes what it receives and reports the
hash back; the chat reply holds every event after the first until the client has seen that first
event.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
from hypercorn.asyncio import serve
from hypercorn.config import Config
from wire import parse_multipart

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


PIECES = [" Second piece,", " third piece."]
WAIT_FOR_CLIENT = 10.0


@dataclass
class Received:
    http_version: str
    path: str
    client_port: int
    headers: dict[str, str]
    body_length: int
    fields: dict[str, str]
    files: dict[str, str]  # filename -> sha256


def _sse(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + json.dumps(data).encode() + b"\n\n"


CONNECTED = _sse("connected", {"signal_id": "sig_h2"})


def _partial(sequence: int, message: str) -> bytes:
    envelope = {
        "type": "partial_response",
        "disposition": "partial",
        "sequence": str(sequence),
        "timestamp": "2026-11-22T10:00:00Z",
        "data": {"message": message, "clean_message": message},
    }
    return _sse("partial_response", envelope)


def _completion(message: str) -> bytes:
    envelope = {
        "type": "completion",
        "disposition": "final",
        "sequence": "9",
        "timestamp": "2026-11-22T10:00:00Z",
        "data": {"message": message, "clean_message": message},
    }
    return _sse("completion", envelope)


async def _send_json(send: Send, answer: dict[str, Any]) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


async def _send_events(
    send: Send, events: list[bytes | float], *, start: bool = True, end: bool = True
) -> None:
    """Events of a text/event-stream response: bytes are sent at once, floats are pauses."""
    if start:
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
    for item in events:
        if isinstance(item, float):
            await asyncio.sleep(item)
        else:
            await send({"type": "http.response.body", "body": item, "more_body": True})
    if end:
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


class Http2Server:
    """Hypercorn serving the chat-stream and upload operations, in a thread of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.ca = trustme.CA()
        pem = tmp_path / "server.pem"
        self.ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
        listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{listener.getsockname()[1]}/v2"
        self.config = Config()
        self.config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns (and closes) it
        self.config.certfile = self.config.keyfile = str(pem)
        self.config.errorlog = logging.getLogger("tests.http2.hypercorn")
        self.config.graceful_timeout = 2.0
        self.requests: list[Received] = []
        self.seen: list[tuple[str, int]] = []  # (HTTP version, client port) of every request
        self.first_seen = threading.Event()
        self.released: bool | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    def client_ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await serve(self._app, self.config, shutdown_trigger=self._stop.wait)

    def __enter__(self) -> Http2Server:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.first_seen.set()  # never leave the server waiting
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        assert not self._thread.is_alive()

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.seen.append((scope["http_version"], scope["client"][1]))
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await self.handle(scope, bytes(body), receive, send)

    async def handle(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        parts = parse_multipart(headers["content-type"], body)
        received = Received(
            http_version=scope["http_version"],
            path=scope["path"],
            client_port=scope["client"][1],
            headers=headers,
            body_length=len(body),
            fields={p.field: p.data.decode() for p in parts if p.filename is None},
            files={p.filename: hashlib.sha256(p.data).hexdigest() for p in parts if p.filename},
        )
        self.requests.append(received)
        digests = " ".join(f"{name} sha256={digest}." for name, digest in received.files.items())
        if scope["path"].endswith("/chat/stream"):
            await self._chat(send, digests)
            return
        answer = {
            "success": True,
            "message": digests,
            "datasource_id": "d",
            "upload_id": "u1",
            "sse_url": "/datasources/uploads/u1/progress",
        }
        await _send_json(send, answer)

    async def _chat(self, send: Send, first: str) -> None:
        await _send_events(send, [CONNECTED, _partial(1, first)], end=False)
        # Nothing more is sent until the client has seen the first delta: a client (or an
        # HTTP/2 layer) that buffered the body would leave this to time out.
        self.released = await asyncio.to_thread(self.first_seen.wait, WAIT_FOR_CLIENT)
        rest: list[bytes | float] = []
        for sequence, piece in enumerate(PIECES, 2):
            rest += [0.02, _partial(sequence, piece)]
        await _send_events(send, [*rest, 0.02, _completion(first + "".join(PIECES))], start=False)
