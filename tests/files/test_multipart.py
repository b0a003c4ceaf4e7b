"""Streaming multipart bodies, parsed back by python-multipart and sent through real sockets."""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import tracemalloc
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import IO, Any, cast

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire import FilePart, RecordingServer, parse_multipart

from meibel import FileChangedError, MeibelClient, MeibelError, _multipart
from meibel._multipart import FileInput, MultipartBody, normalize_files


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


class TrackingOpen:
    """Stands in for `open` inside meibel._multipart, keeping every handle it returns."""

    def __init__(self) -> None:
        self.handles: list[IO[bytes]] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, *args: Any, **kwargs: Any) -> IO[bytes]:
        handle = cast("IO[bytes]", open(*args, **kwargs))  # noqa: SIM115
        self.handles.append(handle)
        self.threads.append(threading.current_thread())
        return handle

    def still_open(self) -> int:
        return sum(not handle.closed for handle in self.handles)


@pytest.fixture
def tracking_open(monkeypatch: pytest.MonkeyPatch) -> TrackingOpen:
    tracker = TrackingOpen()
    monkeypatch.setattr(_multipart, "open", tracker, raising=False)
    return tracker


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


def assert_parts(parts: list[FilePart], expected: list[tuple[str, str, bytes]]) -> None:
    fields = {part.field: part.data for part in parts if part.filename is None}
    assert fields == EXPECTED_FIELDS
    uploads = [part for part in parts if part.filename is not None]
    assert [part.field for part in uploads] == ["files"] * len(expected)
    assert [(p.filename, p.content_type, sha256(p.data)) for p in uploads] == [
        (filename, content_type, sha256(data)) for filename, content_type, data in expected
    ]


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


def test_sdk_files_are_closed_one_at_a_time_and_callers_files_stay_open(
    tmp_path: Path, tracking_open: TrackingOpen
) -> None:
    paths = []
    for index in range(200):
        path = tmp_path / f"{index}.bin"
        path.write_bytes(index.to_bytes(2, "big") * 5000)
        paths.append(path)
    callers = io.BytesIO(b"caller's")
    body = MultipartBody([], [*(("files", path) for path in paths), ("files", callers)])
    most_open = 0
    for _ in body:
        most_open = max(most_open, tracking_open.still_open())
    assert len(tracking_open.handles) == 200
    assert most_open == 1, "a path is open only while its part is sent"
    assert tracking_open.still_open() == 0
    assert not callers.closed


def test_abandoned_iteration_closes_sdk_files(tmp_path: Path, tracking_open: TrackingOpen) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1_000_000)
    callers = io.BytesIO(b"y" * 100_000)
    body = MultipartBody([], [("files", callers), ("files", path)], chunk_size=16 * 1024)

    abandoned = cast("Generator[bytes]", iter(body))
    for chunk in abandoned:
        if chunk.startswith(b"x"):
            break  # inside the path's part
    assert tracking_open.still_open() == 1
    abandoned.close()  # what happens when a send is cut short
    assert tracking_open.still_open() == 0

    failing = cast("Generator[bytes]", iter(body))
    for chunk in failing:
        if chunk.startswith(b"x"):
            break
    with pytest.raises(ConnectionError):
        failing.throw(ConnectionError("the connection dropped"))
    assert tracking_open.still_open() == 0

    suspended = iter(body)
    for chunk in suspended:
        if chunk.startswith(b"x"):
            break
    body.close()
    assert tracking_open.still_open() == 0
    assert not callers.closed


def test_a_failing_read_closes_sdk_files(tmp_path: Path, tracking_open: TrackingOpen) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise OSError("disk on fire")

    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1000)
    broken = Broken()
    with pytest.raises(OSError, match="disk on fire"):
        b"".join(MultipartBody([], [("files", path), ("files", ("b", broken))]))
    assert len(tracking_open.handles) == 1
    assert tracking_open.still_open() == 0
    assert not broken.closed


@pytest.mark.anyio
async def test_abandoned_async_iteration_closes_sdk_files(
    tmp_path: Path, tracking_open: TrackingOpen
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1_000_000)
    body = MultipartBody([], [("files", path)], chunk_size=16 * 1024)
    chunks = cast("AsyncGenerator[bytes]", body.__aiter__())
    for _ in range(3):
        await chunks.__anext__()
    assert tracking_open.still_open() == 1
    await chunks.aclose()
    assert tracking_open.still_open() == 0


@pytest.mark.anyio
async def test_async_iteration_opens_and_reads_files_off_the_event_loop(
    recording_server: RecordingServer, tmp_path: Path, tracking_open: TrackingOpen
) -> None:
    readers: list[threading.Thread] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            readers.append(threading.current_thread())
            return super().read(size)

        def seek(self, offset: int, whence: int = 0) -> int:
            readers.append(threading.current_thread())
            return super().seek(offset, whence)

    path = tmp_path / "a.bin"
    path.write_bytes(os.urandom(600_000))
    recording = Recording(b"abc" * 100_000)
    body = MultipartBody([], [("files", ("r.bin", recording)), ("files", path)])
    readers.clear()  # the constructor measured the stream, on this thread
    await send_async(recording_server.url, body, body.headers)
    assert len(readers) > 2
    assert tracking_open.threads
    loop_thread = threading.current_thread()
    assert all(thread is not loop_thread for thread in readers + tracking_open.threads)
    request = recording_server.requests[0]
    parts = parse_multipart(request.headers["Content-Type"], request.body)
    assert [p.data for p in parts] == [b"abc" * 100_000, path.read_bytes()]


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
