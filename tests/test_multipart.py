"""Streaming multipart bodies, parsed back by python-multipart and sent through real sockets."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import IO

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire import RecordingServer, parse_multipart

from meibel._multipart import FileInput, MultipartBody, normalize_files


class Unseekable(io.RawIOBase):
    """A pipe-like stream: readable, not seekable."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _request(
    client: httpx.Client | httpx.AsyncClient,
    server: RecordingServer,
    body: MultipartBody,
    chunked: bool = False,
) -> httpx.Request:
    """As MeibelClient sends it: the body itself as the request stream."""
    headers = {**body.headers, **({"Transfer-Encoding": "chunked"} if chunked else {})}
    request = client.build_request("POST", server.url, headers=headers)
    request.stream = body
    return request


def _body_bytes(body: MultipartBody) -> bytes:
    return b"".join(body)


def test_mixed_inputs_round_trip(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(os.urandom(300_000))
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    handle = io.BytesIO(b"a,b\n1,2\n")
    files: list[tuple[str, FileInput]] = [
        ("files", str(pdf)),
        ("files", txt),
        ("files", handle),
        ("files", b"raw"),
        ("files", ("data.json", b"{}")),
        ("files", ("custom.bin", io.BytesIO(b"xyz"), "application/x-custom")),
    ]
    body = MultipartBody([("flag", True), ("off", False), ("n", 3), ("s", "é")], files)
    data = _body_bytes(body)
    assert body.content_length == len(data)
    parts = parse_multipart(body.content_type, data)
    fields = {p.name: p.data for p in parts if p.filename is None}
    assert fields == {"flag": b"true", "off": b"false", "n": b"3", "s": "é".encode()}
    uploaded = [(p.filename, p.content_type, p.data) for p in parts if p.name == "files"]
    assert uploaded == [
        ("report.pdf", "application/pdf", pdf.read_bytes()),
        ("notes.txt", "text/plain", b"hello"),
        ("files", "application/octet-stream", b"a,b\n1,2\n"),
        ("files", "application/octet-stream", b"raw"),
        ("data.json", "application/json", b"{}"),
        ("custom.bin", "application/x-custom", b"xyz"),
    ]


def test_normalize_files_treats_a_tuple_as_one_file() -> None:
    assert normalize_files(("a.txt", b"x"), "files") == [("files", ("a.txt", b"x"))]
    assert normalize_files([b"x", b"y"], "files") == [("files", b"x"), ("files", b"y")]
    assert normalize_files(None, "files") == []


def test_sent_for_real_with_content_length(recording_server: RecordingServer) -> None:
    payload = os.urandom(1_000_000)
    body = MultipartBody([("user_message", "hi")], [("files", ("big.bin", payload))])
    with httpx.Client() as client:
        client.send(_request(client, recording_server, body))
    request = recording_server.requests[0]
    assert int(request.headers["Content-Length"]) == len(request.body) == body.content_length
    [_, part] = parse_multipart(request.headers["Content-Type"], request.body)
    assert hashlib.sha256(part.data).digest() == hashlib.sha256(payload).digest()


def test_unseekable_stream_is_sent_chunked(recording_server: RecordingServer) -> None:
    body = MultipartBody([], [("files", ("pipe.txt", Unseekable(b"from a pipe")))])
    assert body.content_length is None
    assert not body.replayable
    with httpx.Client() as client:
        client.send(_request(client, recording_server, body, chunked=True))
    request = recording_server.requests[0]
    assert request.headers["Transfer-Encoding"] == "chunked"
    assert parse_multipart(request.headers["Content-Type"], request.body)[0].data == b"from a pipe"
    with pytest.raises(RuntimeError, match="cannot be rewound"):
        _body_bytes(body)


@pytest.mark.anyio
async def test_async_upload_reads_files_off_the_event_loop(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    readers: list[threading.Thread] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            readers.append(threading.current_thread())
            return super().read(size)

    path = tmp_path / "a.bin"
    path.write_bytes(os.urandom(600_000))
    body = MultipartBody([], [("files", ("r.bin", Recording(b"abc" * 1000))), ("files", path)])
    async with httpx.AsyncClient() as client:
        await client.send(_request(client, recording_server, body))
    assert readers
    assert all(thread is not threading.main_thread() for thread in readers)
    request = recording_server.requests[0]
    parts = parse_multipart(request.headers["Content-Type"], request.body)
    assert [p.data for p in parts] == [b"abc" * 1000, path.read_bytes()]


def test_missing_path_fails_at_construction_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.pdf"):
        MultipartBody([], [("files", tmp_path / "missing.pdf")])


def test_files_opened_by_the_sdk_are_closed_and_callers_files_stay_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[IO[bytes]] = []
    real_open = open

    def tracking_open(*args: object, **kwargs: object) -> IO[bytes]:
        handle = real_open(*args, **kwargs)  # type: ignore[call-overload]
        opened.append(handle)
        return handle  # type: ignore[no-any-return]

    monkeypatch.setattr("builtins.open", tracking_open)
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1_000_000)
    mine = io.BytesIO(b"caller's")

    _body_bytes(MultipartBody([], [("files", path), ("files", mine)]))
    assert opened
    assert all(handle.closed for handle in opened)
    assert not mine.closed

    abandoned = iter(MultipartBody([], [("files", path)], chunk_size=1024))
    next(abandoned)
    next(abandoned)
    abandoned.close()  # what httpx does when a send is cut short
    assert all(handle.closed for handle in opened)


def test_filenames_cannot_inject_headers() -> None:
    evil = 'a"b\r\nContent-Type: text/html\r\n.txt'
    body = MultipartBody([], [("files", (evil, b"payload"))])
    data = _body_bytes(body)
    [part] = parse_multipart(body.content_type, data)
    assert part.data == b"payload"
    assert part.content_type == "text/plain"
    assert part.filename == "a%22b%0D%0AContent-Type: text/html%0D%0A.txt"
    assert data.count(b"\r\nContent-Type:") == 1, "one header line, inside one part"


def test_unicode_filenames_round_trip() -> None:
    body = MultipartBody([], [("files", ("résumé 数据.pdf", b"%PDF"))])
    [part] = parse_multipart(body.content_type, _body_bytes(body))
    assert part.filename == "résumé 数据.pdf"


def test_random_boundary_and_boundary_like_content() -> None:
    tricky = b"\r\n--+++\r\n--" + b"-" * 70 + b"\r\n"
    first = MultipartBody([], [("files", ("t.bin", tricky))])
    second = MultipartBody([], [("files", ("t.bin", tricky))])
    assert first.boundary != second.boundary
    assert parse_multipart(first.content_type, _body_bytes(first))[0].data == tricky


def test_replay_gives_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / "p.bin"
    path.write_bytes(os.urandom(50_000))
    handle = io.BytesIO(b"prefix-ignored|seekable")
    handle.seek(len(b"prefix-ignored"))
    body = MultipartBody([("k", "v")], [("files", path), ("files", b"b"), ("files", handle)])
    assert body.replayable
    once, twice = _body_bytes(body), _body_bytes(body)
    assert once == twice
    assert parse_multipart(body.content_type, once)[-1].data == b"|seekable"


def test_large_files_stream_in_bounded_chunks(tmp_path: Path) -> None:
    path = tmp_path / "sparse.bin"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    body = MultipartBody([("user_message", "hi")], [("files", path)], chunk_size=256 * 1024)
    total = biggest = 0
    for chunk in body:
        total += len(chunk)
        biggest = max(biggest, len(chunk))
    assert total == body.content_length
    assert biggest <= 256 * 1024 + 1024  # a chunk, plus the part header it may carry


@settings(max_examples=60, deadline=None)
@given(
    filename=st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s),
    field_value=st.text(max_size=40),
    payload=st.binary(max_size=5000),
)
def test_any_filename_and_bytes_parse_back(filename: str, field_value: str, payload: bytes) -> None:
    body = MultipartBody([("field", field_value)], [("files", (filename, payload))])
    data = _body_bytes(body)
    assert len(data) == body.content_length
    field, part = parse_multipart(body.content_type, data)
    assert field.data == field_value.encode()
    assert part.data == payload
    expected = filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    assert part.filename == expected
