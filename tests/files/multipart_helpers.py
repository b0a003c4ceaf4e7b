"""Inputs and checks shared by the multipart tests: a pipe-like stream, what python-multipart reads
back, sending a body as MeibelClient does, and the fields every mixed body carries.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import httpx2
from wire import FilePart, parse_multipart

from meibel._multipart import MultipartBody


class Unseekable(io.RawIOBase):
    """A pipe-like stream: readable, not seekable."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def sent_as(value: str, *, filename: bool = False) -> str:
    """What python-multipart reads back for a name or filename (the module docstring's rule)."""
    expected = value.replace("\r", "%0D").replace("\n", "%0A")
    if value.endswith("\\"):
        expected = expected[:-1] + "%5C"
    raw = expected.encode()
    if filename and (raw[1:3] == b":\\" or raw[:2] == b"\\\\"):
        # python-multipart's own rule (for IE6, which sent full Windows paths): keep the last part.
        expected = raw.split(b"\\")[-1].decode()
    return expected


async def send_async(url: str, body: MultipartBody, headers: dict[str, str]) -> None:
    """As MeibelClient sends it: the body itself is the request's stream, so it can be replayed."""
    async with httpx2.AsyncClient() as client:
        request = client.build_request("POST", url, headers=headers)
        request.stream = body
        (await client.send(request)).raise_for_status()


def encode(body: MultipartBody) -> tuple[bytes, list[FilePart]]:
    data = b"".join(body)
    return data, parse_multipart(body.content_type, data)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


FIELDS: list[tuple[str, Any]] = [
    ("user_message", "héllo, 数据"),
    ("timeout_seconds", 30),
    ("include_thinking", True),
    ("include_tool_activity", False),
    ("raw", b"\x00\xff"),
    ("skipped", None),
]
EXPECTED_FIELDS = {
    "user_message": "héllo, 数据".encode(),
    "timeout_seconds": b"30",
    "include_thinking": b"true",
    "include_tool_activity": b"false",
    "raw": b"\x00\xff",
}


def assert_parts(parts: list[FilePart], expected: list[tuple[str, str, bytes]]) -> None:
    fields = {part.field: part.data for part in parts if part.filename is None}
    assert fields == EXPECTED_FIELDS
    uploads = [part for part in parts if part.filename is not None]
    assert [part.field for part in uploads] == ["files"] * len(expected)
    assert [(p.filename, p.content_type, sha256(p.data)) for p in uploads] == [
        (filename, content_type, sha256(data)) for filename, content_type, data in expected
    ]
