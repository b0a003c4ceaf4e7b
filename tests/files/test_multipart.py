"""Streaming multipart bodies, parsed back by python-multipart and sent through real sockets."""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any, cast

import httpx2
import pytest
from multipart_helpers import (
    FIELDS,
    Unseekable,
    assert_parts,
    encode,
    send_async,
    sha256,
)
from wire import RecordingServer, parse_multipart

from meibel._multipart import FileInput, MultipartBody, normalize_files


@pytest.fixture
def mixed(
    tmp_path: Path,
) -> Generator[tuple[list[tuple[str, FileInput]], list[tuple[str, str, bytes]]]]:
    """Every kind of file input, and the (filename, content type, bytes) each must arrive as."""
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(os.urandom(700_000))
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    table = tmp_path / "table.csv"
    table.write_bytes(b"a,b\n1,2\n")
    image = tmp_path / "original.bin"
    image.write_bytes(os.urandom(1000))
    with table.open("rb") as callers_file:
        files: list[tuple[str, FileInput]] = [
            ("files", str(pdf)),
            ("files", notes),
            ("files", callers_file),
            ("files", io.BytesIO(b"no name")),
            ("files", b"raw bytes"),
            ("files", ("data.json", b"{}")),
            ("files", ("custom.bin", io.BytesIO(b"xyz"), "application/x-custom")),
            ("files", ("renamed.png", image)),
        ]
        expected = [
            ("report.pdf", "application/pdf", pdf.read_bytes()),
            ("notes.txt", "text/plain", b"hello"),
            ("table.csv", "text/csv", b"a,b\n1,2\n"),
            ("files", "application/octet-stream", b"no name"),
            ("files", "application/octet-stream", b"raw bytes"),
            ("data.json", "application/json", b"{}"),
            ("custom.bin", "application/x-custom", b"xyz"),
            ("renamed.png", "image/png", image.read_bytes()),
        ]
        yield files, expected
        assert not callers_file.closed, "a caller's file is never closed"


def test_every_kind_of_input_parses_back_exactly(
    mixed: tuple[list[tuple[str, FileInput]], list[tuple[str, str, bytes]]],
) -> None:
    files, expected = mixed
    body = MultipartBody(FIELDS, files, chunk_size=64 * 1024)
    data, parts = encode(body)
    assert body.content_length == len(data)
    assert body.headers == {"Content-Type": body.content_type, "Content-Length": str(len(data))}
    assert body.content_type == f"multipart/form-data; boundary={body.boundary.decode()}"
    assert_parts(parts, expected)


def test_normalize_files_treats_a_tuple_as_one_file(tmp_path: Path) -> None:
    handle = io.BytesIO(b"x")
    assert normalize_files(("a.txt", b"x"), "files") == [("files", ("a.txt", b"x"))]
    assert normalize_files(("a.txt", b"x", "text/plain"), "file") == [
        ("file", ("a.txt", b"x", "text/plain"))
    ]
    assert normalize_files([b"x", ("b.txt", b"y")], "files") == [
        ("files", b"x"),
        ("files", ("b.txt", b"y")),
    ]
    assert normalize_files(tmp_path, "file") == [("file", tmp_path)]
    assert normalize_files("a.pdf", "file") == [("file", "a.pdf")]
    assert normalize_files(handle, "file") == [("file", handle)]
    assert normalize_files(b"x", "file") == [("file", b"x")]
    assert normalize_files(None, "files") == []
    assert normalize_files([], "files") == []


def test_posted_for_real_with_content_length(
    recording_server: RecordingServer,
    mixed: tuple[list[tuple[str, FileInput]], list[tuple[str, str, bytes]]],
) -> None:
    files, expected = mixed
    body = MultipartBody(FIELDS, files)
    with httpx2.Client() as client:
        client.post(recording_server.url, content=body, headers=body.headers)
    request = recording_server.requests[0]
    assert "Transfer-Encoding" not in request.headers
    assert int(request.headers["Content-Length"]) == len(request.body) == body.content_length
    assert request.headers["Content-Type"] == body.content_type
    assert_parts(parse_multipart(request.headers["Content-Type"], request.body), expected)
    assert b"".join(body) == request.body, "replayed byte for byte"


@pytest.mark.anyio
async def test_posted_for_real_async(
    recording_server: RecordingServer,
    mixed: tuple[list[tuple[str, FileInput]], list[tuple[str, str, bytes]]],
) -> None:
    files, expected = mixed
    body = MultipartBody(FIELDS, files)
    await send_async(recording_server.url, body, body.headers)
    received = recording_server.requests[0]
    assert int(received.headers["Content-Length"]) == len(received.body) == body.content_length
    assert_parts(parse_multipart(received.headers["Content-Type"], received.body), expected)


def test_unseekable_stream_is_sent_chunked(recording_server: RecordingServer) -> None:
    body = MultipartBody([("user_message", "hi")], [("files", ("pipe.txt", Unseekable(b"piped")))])
    assert body.content_length is None
    assert "Content-Length" not in body.headers
    with httpx2.Client() as client:
        client.post(recording_server.url, content=body, headers=body.headers)
    request = recording_server.requests[0]
    assert request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in request.headers
    _, part = parse_multipart(request.headers["Content-Type"], request.body)
    assert (part.filename, part.content_type, part.data) == ("pipe.txt", "text/plain", b"piped")


@pytest.mark.anyio
async def test_unseekable_stream_is_sent_chunked_async(recording_server: RecordingServer) -> None:
    body = MultipartBody([], [("files", ("pipe.bin", Unseekable(b"x" * 300_000)))])
    headers = {**body.headers, "Transfer-Encoding": "chunked"}  # as MeibelClient does
    await send_async(recording_server.url, body, headers)
    request = recording_server.requests[0]
    assert "Content-Length" not in request.headers
    [part] = parse_multipart(request.headers["Content-Type"], request.body)
    assert part.data == b"x" * 300_000


def test_a_named_pipe_is_streamed_without_a_length(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    payload = os.urandom(500_000)

    def write() -> None:
        with fifo.open("wb") as writer:
            writer.write(payload)

    body = MultipartBody([], [("files", fifo)])
    assert body.content_length is None
    assert not body.replayable
    writer = threading.Thread(target=write)
    writer.start()
    with httpx2.Client() as client:
        client.post(recording_server.url, content=body, headers=body.headers)
    writer.join()
    request = recording_server.requests[0]
    assert request.headers["Transfer-Encoding"] == "chunked"
    [part] = parse_multipart(request.headers["Content-Type"], request.body)
    assert (part.filename, sha256(part.data)) == ("fifo.log", sha256(payload))


def test_missing_path_fails_at_construction_naming_it(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.pdf"
    for files in ([("files", missing)], [("file", ("x.pdf", str(missing)))]):
        with pytest.raises(FileNotFoundError, match=re.escape(str(missing))) as raised:
            MultipartBody([("user_message", "hi")], files)
        assert raised.value.filename == str(missing)
    with pytest.raises(IsADirectoryError, match=re.escape(str(tmp_path))):
        MultipartBody([], [("files", tmp_path)])
    assert recording_server.requests == []


def test_invalid_inputs_fail_at_construction(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="binary mode"):
        MultipartBody([], [("files", cast("Any", io.StringIO("text")))])
    with pytest.raises(TypeError, match="expected a path, bytes"):
        MultipartBody([], [("files", cast("Any", 42))])
    with pytest.raises(TypeError, match="file tuple"):
        MultipartBody([], [("files", cast("Any", ("a", b"b", "c", "d")))])
    with pytest.raises(ValueError, match="content type"):
        MultipartBody([], [("files", ("a.txt", b"x", "text/plain\r\nX-Injected: 1"))])
    with pytest.raises(ValueError, match="boundary"):
        MultipartBody([], [], boundary=b"bad\r\nboundary")
    with pytest.raises(ValueError, match="chunk_size"):
        MultipartBody([], [], chunk_size=0)
