"""Multipart encoding: no header or parameter injection, random boundaries, replay, files that
change while sent, bounded memory, and any names and bytes round trip (hypothesis).
"""

from __future__ import annotations

import io
import os
import re
import tracemalloc
from pathlib import Path
from typing import IO, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multipart_helpers import (
    Unseekable,
    encode,
    sent_as,
)
from wire import RecordingServer, parse_multipart

from meibel import FileChangedError, MeibelClient, MeibelError
from meibel._multipart import FileInput, MultipartBody


def test_filenames_cannot_inject_headers() -> None:
    evil = 'a"b\r\nContent-Type: text/html\r\n.txt'
    body = MultipartBody([], [("files", (evil, b"payload"))])
    data, parts = encode(body)
    [part] = parts
    assert (part.field, part.data, part.content_type) == ("files", b"payload", "text/plain")
    assert part.filename == 'a"b%0D%0AContent-Type: text/html%0D%0A.txt'
    head = data.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head == [
        b"--" + body.boundary,
        b'Content-Disposition: form-data; name="files"; filename="a\\"b%0D%0AContent-Type: '
        b'text/html%0D%0A.txt"',
        b"Content-Type: text/plain",
    ]


def test_names_cannot_inject_parameters() -> None:
    sneaky_name = 'files"; filename="evil.exe'
    sneaky_file = 'a.txt"; name="other\\'
    body = MultipartBody([(sneaky_name, "v")], [("files", (sneaky_file, b"data"))])
    _, [field, upload] = encode(body)
    assert (field.field, field.filename, field.data) == (sneaky_name, None, b"v")
    assert (upload.field, upload.filename) == ("files", 'a.txt"; name="other%5C')


def test_quotes_backslashes_and_unicode_round_trip_exactly() -> None:
    names = ['he said "hi" \\ok.txt', "résumé 数据 📄.pdf", "tab\there;semi=colon'.bin"]
    body = MultipartBody([('naïve \\ "field"', "v")], [("files", (n, b"x")) for n in names])
    _, [field, *uploads] = encode(body)
    assert field.field == 'naïve \\ "field"'
    assert [part.filename for part in uploads] == names
    assert [part.content_type for part in uploads] == [
        "text/plain",
        "application/pdf",
        "application/octet-stream",
    ]


def test_boundary_is_random_and_boundary_like_content_survives() -> None:
    first = MultipartBody([], [("files", ("t.bin", b""))])
    second = MultipartBody([], [("files", ("t.bin", b""))])
    assert first.boundary != second.boundary
    assert re.fullmatch(rb"[0-9a-f]{32}", first.boundary)
    tricky = (
        b"\r\n--+++\r\n--"
        + b"-" * 70
        + b"\r\n--"
        + os.urandom(16).hex().encode()
        + b'--\r\n\r\nContent-Disposition: form-data; name="x"\r\n\r\n'
    )
    body = MultipartBody([("f", tricky)], [("files", ("t.bin", tricky)), ("files", tricky * 500)])
    _, parts = encode(body)
    assert [part.data for part in parts] == [tricky, tricky, tricky * 500]

    given = MultipartBody([], [("files", ("a", b"a"))], boundary=b"+++fixed+++")
    assert given.content_type == "multipart/form-data; boundary=+++fixed+++"
    assert encode(given)[1][0].data == b"a"


def test_replay_gives_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / "p.bin"
    path.write_bytes(os.urandom(50_000))
    handle = io.BytesIO(b"prefix-ignored|seekable")
    handle.seek(len(b"prefix-ignored"))
    with path.open("rb") as callers_file:
        files: list[tuple[str, FileInput]] = [
            ("files", path),
            ("files", str(path)),
            ("files", b"b"),
            ("files", handle),
            ("files", callers_file),
        ]
        body = MultipartBody([("k", "v")], files, chunk_size=4096)
        assert body.replayable
        once, twice = b"".join(body), b"".join(body)
        assert once == twice
        assert len(once) == body.content_length
        assert [p.data for p in parse_multipart(body.content_type, once)][-2:] == [
            b"|seekable",
            path.read_bytes(),
        ]


@pytest.mark.anyio
async def test_async_replay_gives_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / "p.bin"
    path.write_bytes(os.urandom(50_000))
    body = MultipartBody([("k", "v")], [("files", path), ("files", io.BytesIO(b"seek me"))])
    runs = [b"".join([chunk async for chunk in body]) for _ in range(2)]
    assert runs[0] == runs[1] == b"".join(body)


def test_replaying_a_non_seekable_stream_raises() -> None:
    body = MultipartBody([], [("files", ("a", b"bytes")), ("files", Unseekable(b"once"))])
    assert not body.replayable
    _, [_, part] = encode(body)
    assert part.data == b"once"
    with pytest.raises(RuntimeError, match="cannot be rewound"):
        b"".join(body)


def _drain(body: MultipartBody, sent: bytearray) -> None:
    for chunk in body:
        sent += chunk


def test_a_file_that_changes_size_raises_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b"a" * 10_000)
    body = MultipartBody([], [("files", path)], chunk_size=4096)
    assert body.content_length is not None
    with path.open("ab") as log:
        log.write(b"b" * 5000)  # grew: sending only the measured part would be a silent cut
    sent = bytearray()
    with pytest.raises(FileChangedError, match=r"log\.txt grew while being uploaded") as caught:
        _drain(body, sent)
    assert caught.value.path == str(path)
    assert len(sent) < body.content_length, "the body never completes"
    path.write_bytes(b"a" * 100)  # shrank: there is nothing right to send
    with pytest.raises(FileChangedError, match="shrank while being uploaded"):
        b"".join(body)
    assert issubclass(FileChangedError, MeibelError)


@pytest.mark.anyio
async def test_a_file_that_grows_raises_in_the_async_body_too(tmp_path: Path) -> None:
    path = tmp_path / "grows.bin"
    path.write_bytes(b"a" * 1000)
    body = MultipartBody([], [("files", path)])
    path.write_bytes(b"a" * 2000)
    with pytest.raises(FileChangedError, match=r"grows\.bin grew"):
        async for _ in body:
            pass


def test_a_file_that_grows_mid_upload_fails_the_call_and_completes_nothing(
    tmp_path: Path, recording_server: RecordingServer
) -> None:
    path = tmp_path / "growing.csv"
    path.write_bytes(b"x" * 3_000_000)

    class Growing(io.FileIO):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            data = super().read(size)
            with open(path, "ab") as log:
                log.write(b"y")  # another process appends while we upload
            return data

    client = MeibelClient(api_key="k", base_url=recording_server.url + "/v2", max_retries=0)
    with (
        Growing(path, "rb") as handle,
        client,
        pytest.raises(FileChangedError, match=r"growing\.csv grew"),
    ):
        client.file_upload.upload_content("d", files=handle)
    for request in recording_server.requests:  # the server never got a whole body
        assert len(request.body) < int(request.headers["Content-Length"])


def test_small_parts_are_coalesced_and_file_chunks_are_not_copied() -> None:
    chunk = b"z" * 1000
    served: list[bytes] = []

    class Source(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            served.append(chunk if len(served) < 3 else b"")
            return served[-1]

    fields = [(f"field{index}", "value") for index in range(50)]
    assert len(list(MultipartBody(fields, [("files", ("a.txt", b"small"))]))) == 1
    yielded = list(MultipartBody(fields, [("files", ("s.bin", Source()))]))
    assert [piece is chunk for piece in yielded] == [False, True, True, True, False]


def test_large_file_streams_in_bounded_chunks_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "sparse.bin"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    chunk_size = 256 * 1024
    body = MultipartBody([("user_message", "hi")], [("files", path)], chunk_size=chunk_size)
    total = biggest = count = 0
    tracemalloc.start()
    try:
        for chunk in body:
            total += len(chunk)
            biggest = max(biggest, len(chunk))
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == body.content_length
    assert biggest == chunk_size
    assert count == 64 * 4 + 2  # the file's chunks, and the bytes before and after it
    assert peak < 4 * chunk_size, f"peak {peak} bytes in Python objects while streaming 64 MiB"


# Names drawn mostly from what breaks naive encoders: quotes, backslashes, CR/LF, separators, and
# non-ASCII (accents, a line separator, an emoji), mixed with any other character.
tricky_text = st.text(
    st.sampled_from('"\\\r\n;=%: \t/é\u2028\u00a0\U0001f600') | st.characters(codec="utf-8"),
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(
    field_name=tricky_text,
    field_value=tricky_text,
    filename=tricky_text,
    payload=st.binary(max_size=5000),
    kind=st.sampled_from(["bytes", "seekable", "stream"]),
    chunk_size=st.integers(min_value=1, max_value=700),
)
def test_any_names_and_bytes_parse_back(
    field_name: str, field_value: str, filename: str, payload: bytes, kind: str, chunk_size: int
) -> None:
    content: bytes | IO[bytes] = {
        "bytes": lambda: payload,
        "seekable": lambda: io.BytesIO(payload),
        "stream": lambda: cast("IO[bytes]", Unseekable(payload)),
    }[kind]()
    body = MultipartBody(
        [(field_name, field_value)], [("files", (filename, content))], chunk_size=chunk_size
    )
    chunks = list(body)
    data = b"".join(chunks)
    assert max(len(chunk) for chunk in chunks) <= chunk_size
    assert body.content_length == (None if kind == "stream" else len(data))
    field, part = parse_multipart(body.content_type, data)
    assert (field.field, field.filename, field.data) == (
        sent_as(field_name),
        None,
        field_value.encode(),
    )
    assert (part.field, part.filename, part.data) == (
        "files",
        sent_as(filename, filename=True),
        payload,
    )


@settings(max_examples=100, deadline=None)
@given(
    fields=st.lists(st.tuples(tricky_text, tricky_text), max_size=3),
    files=st.lists(st.tuples(tricky_text, st.binary(max_size=3000)), min_size=1, max_size=4),
    chunk_size=st.integers(min_value=1, max_value=5000),
)
def test_many_fields_and_files_parse_back_in_order(
    fields: list[tuple[str, str]], files: list[tuple[str, bytes]], chunk_size: int
) -> None:
    body = MultipartBody(
        fields, [("files", (name, io.BytesIO(data))) for name, data in files], chunk_size=chunk_size
    )
    data, parts = encode(body)
    assert body.content_length == len(data)
    assert [(p.field, p.filename, p.data) for p in parts] == [
        *((sent_as(name), None, value.encode()) for name, value in fields),
        *(("files", sent_as(name, filename=True), payload) for name, payload in files),
    ]
