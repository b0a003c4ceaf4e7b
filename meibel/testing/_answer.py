"""What the fake answers, and the one interface its transports and its HTTP server call.

Nothing here knows FakeMeibel: the server and the transports take any `Handler`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["SSE_HEADERS", "Answer", "HTTPError", "Handler", "content_headers", "sse"]

SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


@dataclass
class Answer:
    """What to send: a JSON body, a file (`content`), or SSE chunks (bytes, and float pauses).

    `headers` are a file's own (else JSON's); `drop` closes the connection after the events.
    """

    status: int
    body: object = None
    events: list[bytes | float] | None = None
    drop: bool = False
    headers: dict[str, str] | None = None
    content: bytes | None = None

    def json_bytes(self) -> bytes:
        """The body as sent: the file's bytes, nothing for a 204, else the JSON."""
        if self.content is not None:
            return self.content
        if self.status == 204:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode()


def content_headers(answer: Answer) -> dict[str, str]:
    """The headers of an answer without events: its own (a file's), else JSON's."""
    if answer.headers:
        return answer.headers
    return {} if answer.status == 204 else {"Content-Type": "application/json"}


class Handler(Protocol):
    """Answers one request; `target` is the path with its query string."""

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        raise_schema_errors: bool,
    ) -> Answer: ...


class HTTPError(Exception):
    """Raised by an operation handler: answered as `status` with FastAPI's {"detail": ...}."""

    def __init__(self, status: int, detail: object) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


def sse(name: str, data: object) -> bytes:
    """One server-sent event, its data as compact JSON."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
