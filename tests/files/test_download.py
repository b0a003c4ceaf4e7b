"""Downloads (meibel.Download / AsyncDownload) over real HTTP on 127.0.0.1.

A small server of our own answers from a queue of scripted files: with or without Content-Length,
cut off part-way (the connection closed after some of the declared bytes), stalled, or large and
generated block by block, so every byte can be checked with a hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import http
import io
import json
import queue
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from meibel import (
    APIConnectionError,
    APITimeoutError,
    AsyncDownload,
    AsyncMeibelClient,
    Download,
    InternalServerError,
    MeibelClient,
    RawResponse,
    UnsafeFilenameError,
)
from meibel._download import DEFAULT_FILENAME, parse_filename
from meibel._retry import RetryPolicy
from meibel.models import DownloadJobRequest

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


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as running:
        yield running


def _client(server: FileServer, **options: Any) -> MeibelClient:
    return MeibelClient(api_key="k", base_url=server.url, **options)


def _async_client(server: FileServer, **options: Any) -> AsyncMeibelClient:
    return AsyncMeibelClient(api_key="k", base_url=server.url, **options)


@contextlib.contextmanager
def _pool_of_one(server: FileServer, pool_timeout: float = 2.0) -> Iterator[MeibelClient]:
    """A client whose pool holds one connection: a download not released blocks the next."""
    limits = httpx2.Limits(max_connections=1)
    timeout = httpx2.Timeout(10.0, pool=pool_timeout)
    with httpx2.Client(limits=limits, timeout=timeout) as http_client:
        yield _client(server, http_client=http_client)


def _files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# The four operations that answer with a file: (call, method, request target).
OPERATIONS: list[tuple[Callable[[Any], Any], str, str]] = [
    (
        lambda c: c.datasource_downloads.download_file("job_1", datasource_id="ds_1"),
        "GET",
        "/v2/datasources/ds_1/downloads/job_1/file",
    ),
    (
        lambda c: c.datasource_downloads.process_download(
            "ds_1", body=DownloadJobRequest(content="files")
        ),
        "POST",
        "/v2/datasources/ds_1/downloads/process",
    ),
    (
        lambda c: c.documents.get_document_result("job_2", format_="json"),
        "GET",
        "/v2/documents/job_2/result?format=json",
    ),
    (
        lambda c: c.documents.download_deep_transform_artifact("output.json", job_id="job_3"),
        "GET",
        "/v2/documents/deep-transform/job_3/artifact/output.json",
    ),
]
OPERATION_IDS = ["download_file", "process_download", "get_document_result", "artifact"]


@pytest.mark.parametrize(("call", "method", "target"), OPERATIONS, ids=OPERATION_IDS)
def test_each_download_operation_returns_a_download(
    server: FileServer, call: Callable[[Any], Any], method: str, target: str
) -> None:
    server.reply(headers={"Content-Type": "text/csv", "Content-Disposition": "attachment"})
    with _client(server) as client, call(client) as download:
        assert isinstance(download, Download)
        assert download.response.num_bytes_downloaded == 0  # nothing read yet
        assert download.read() == CSV
        assert download.closed
    assert (server.requests[0].method, server.requests[0].target) == (method, target)
    if method == "POST":
        assert json.loads(server.requests[0].body) == {"content": "files"}


@pytest.mark.anyio
@pytest.mark.parametrize(("call", "method", "target"), OPERATIONS, ids=OPERATION_IDS)
async def test_each_download_operation_returns_an_async_download(
    server: FileServer, call: Callable[[Any], Awaitable[Any]], method: str, target: str
) -> None:
    async with _async_client(server) as client, await call(client) as download:
        assert isinstance(download, AsyncDownload)
        assert await download.read() == CSV
        assert download.closed
    assert (server.requests[0].method, server.requests[0].target) == (method, target)


def test_save_to_a_path_writes_every_byte_and_leaves_no_temporary_file(
    server: FileServer, tmp_path: Path
) -> None:
    with _client(server) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        assert download.save(tmp_path / "export.csv") == len(CSV)
        assert download.closed  # released without `with`
    assert (tmp_path / "export.csv").read_bytes() == CSV
    assert _files(tmp_path) == ["export.csv"]


@pytest.mark.parametrize(
    ("disposition", "saved_as"),
    [
        ('attachment; filename="export.csv"', "export.csv"),
        ("attachment; filename=plain.csv", "plain.csv"),
        (
            "attachment; filename=\"rates.csv\"; filename*=UTF-8''%E2%82%AC%20rates.csv",
            "€ rates.csv",
        ),
        ("attachment; filename*=utf-8''na%C3%AFve.txt; filename=naive.txt", "naïve.txt"),
        ('attachment; filename="../../x"', "x"),
        ('attachment; filename="C:\\\\temp\\\\y.csv"', "y.csv"),
        ("attachment", DEFAULT_FILENAME),
        (None, DEFAULT_FILENAME),
    ],
)
def test_save_into_a_directory_names_the_file_after_the_server(
    server: FileServer, tmp_path: Path, disposition: str | None, saved_as: str
) -> None:
    headers = {"Content-Type": "text/csv"}
    if disposition is not None:
        headers["Content-Disposition"] = disposition
    server.reply(headers=headers)
    (tmp_path / "out").mkdir()
    with _client(server) as client:
        client.datasource_downloads.download_file("j", datasource_id="d").save(tmp_path / "out")
    assert _files(tmp_path / "out") == [saved_as]
    assert (tmp_path / "out" / saved_as).read_bytes() == CSV
    assert _files(tmp_path) == ["out"]  # nothing written beside the directory


def test_a_filename_that_names_no_file_is_refused_before_the_body(
    server: FileServer, tmp_path: Path
) -> None:
    server.reply(headers={"Content-Disposition": 'attachment; filename=".."'})
    with _pool_of_one(server) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(UnsafeFilenameError) as refused:
            download.save(tmp_path)
        assert refused.value.filename == ".."
        assert download.closed
        assert download.response.num_bytes_downloaded == 0
        assert (
            client.datasource_downloads.download_file("j", datasource_id="d").read() == CSV
        )  # pool freed
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    ("header", "filename"),
    [
        ('attachment; filename="a \\"quoted\\" name.txt"', 'a "quoted" name.txt'),
        ('attachment; filename="semi;colon.txt"; size=3', "semi;colon.txt"),
        ("attachment; FILENAME*=ISO-8859-1'en'%A3%20rates.txt", "£ rates.txt"),
        ("attachment; filename*=UTF-8''%FF%FE; filename=fallback.txt", "fallback.txt"),
        ("attachment; filename*=KOI8-R''%C1; filename=fallback.txt", "fallback.txt"),
        ("attachment; filename*=\"UTF-8''quoted%20anyway.txt\"", "quoted anyway.txt"),
        ('inline; filename=""', None),
        ("inline", None),
        ("", None),
        (None, None),
    ],
)
def test_content_disposition_filenames(header: str | None, filename: str | None) -> None:
    assert parse_filename(header) == filename


def test_save_to_a_file_object(server: FileServer) -> None:
    server.reply(headers={"Content-Disposition": 'attachment; filename="export.csv"'})
    seen: list[tuple[int, int | None, str | None]] = []
    sink = io.BytesIO()
    with _client(server) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        written = download.save(sink, on_progress=lambda *args: seen.append(args))
    assert written == len(CSV)
    assert sink.getvalue() == CSV
    assert not sink.closed  # the caller's file stays open
    assert seen[-1] == (len(CSV), len(CSV), "export.csv")  # the server's name for a file object


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_on_progress_counts_up_to_the_size(
    server: FileServer, tmp_path: Path, chunked: bool
) -> None:
    body = CSV * 20  # ~4 MiB: many chunks
    server.reply(body, chunked=chunked)
    seen: list[tuple[int, int | None, str | None]] = []
    with _client(server) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        download.save(tmp_path / "big.csv", on_progress=lambda *args: seen.append(args))
    done = [call[0] for call in seen]
    assert len(done) > 10
    assert done == sorted(done)
    assert done[-1] == len(body)
    assert {call[1] for call in seen} == {None if chunked else len(body)}
    assert {call[2] for call in seen} == {"big.csv"}  # the file being written


def test_read_text_and_json_keep_the_body(server: FileServer, tmp_path: Path) -> None:
    document = {"title": "Prévisions", "rows": [1, 2, 3]}
    latin = "Prévisions, £".encode("iso-8859-1")
    server.reply(json.dumps(document).encode(), headers={"Content-Type": "application/json"})
    server.reply(latin, headers={"Content-Type": "text/plain; charset=ISO-8859-1"})
    with _client(server) as client:
        with client.documents.get_document_result("j", format_="json") as download:
            assert download.json() == document
            assert download.read() == json.dumps(document).encode()  # kept, not read again
            assert b"".join(download.iter_bytes(chunk_size=7)) == download.read()
            assert download.save(tmp_path / "again.json") == len(download.read())
        with client.documents.get_document_result("j") as download:
            assert download.text() == "Prévisions, £"
        server.reply(b"caf\xc3\xa9", headers={"Content-Type": "text/plain; charset=no-such"})
        assert client.documents.get_document_result("j").text() == "café"  # UTF-8 instead
    assert (tmp_path / "again.json").read_bytes() == json.dumps(document).encode()


def test_iter_bytes_with_a_chunk_size(server: FileServer) -> None:
    with (
        _client(server) as client,
        client.datasource_downloads.download_file("j", datasource_id="d") as d,
    ):
        chunks = list(d.iter_bytes(chunk_size=1000))
        assert d.closed  # released at the end of the iteration
    assert b"".join(chunks) == CSV
    assert {len(chunk) for chunk in chunks[:-1]} == {1000}
    assert 0 < len(chunks[-1]) <= 1000


def test_a_body_is_read_once_and_the_error_says_how_to_keep_it(server: FileServer) -> None:
    with _client(server) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        assert b"".join(download.iter_bytes()) == CSV
        with pytest.raises(RuntimeError, match=r"already read by iter_bytes\(\).*read\(\) first"):
            download.read()
        with pytest.raises(RuntimeError, match="already read"):
            download.save(io.BytesIO())

        unread = client.datasource_downloads.download_file("j", datasource_id="d")
        unread.close()
        with pytest.raises(RuntimeError, match="closed before its body was read"):
            unread.iter_bytes()
        with client.datasource_downloads.download_file("j", datasource_id="d") as download:
            with pytest.raises(ValueError, match="chunk_size"):
                download.iter_bytes(chunk_size=0)
            assert download.read() == CSV  # nothing was claimed


@pytest.mark.anyio
async def test_async_iter_bytes_save_and_text(server: FileServer, tmp_path: Path) -> None:
    server.reply(CSV * 20)
    seen: list[tuple[int, int | None, str | None]] = []
    async with _async_client(server) as client:
        async with await client.datasource_downloads.download_file(
            "j", datasource_id="d"
        ) as download:
            chunks = [chunk async for chunk in download.iter_bytes()]
        assert b"".join(chunks) == CSV * 20
        async with await client.datasource_downloads.download_file(
            "j", datasource_id="d"
        ) as download:
            sized = [chunk async for chunk in download.iter_bytes(chunk_size=4096)]
        assert b"".join(sized) == CSV
        assert {len(chunk) for chunk in sized[:-1]} == {4096}
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        written = await download.save(tmp_path / "a.csv", on_progress=lambda *a: seen.append(a))
        assert download.closed
        assert written == len(CSV)
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        assert (await download.text()).startswith("id,name\n")
        assert (await download.read()) == CSV  # kept
    assert (tmp_path / "a.csv").read_bytes() == CSV
    assert _files(tmp_path) == ["a.csv"]
    assert seen[-1] == (len(CSV), len(CSV), "a.csv")


def test_a_connection_cut_mid_body_raises_and_leaves_no_file(
    server: FileServer, tmp_path: Path
) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    target = tmp_path / "export.bin"
    server.reply(body, cut_after=len(body) // 2)
    with _client(server) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(APIConnectionError) as cut:
            download.save(target)
        assert download.closed
    message = str(cut.value)
    assert message.startswith(f"GET {server.url}/datasources/d/downloads/j/file: ")
    assert "after 524,288 of 1,048,576 bytes of the body were received" in message
    assert not isinstance(cut.value, APITimeoutError)
    assert isinstance(cut.value.__cause__, httpx2.RemoteProtocolError)
    assert _files(tmp_path) == []  # neither the file nor its temporary twin

    target.write_bytes(b"the previous export")
    server.reply(body, cut_after=len(body) // 2)
    with _client(server) as client, pytest.raises(APIConnectionError, match="524,288 of"):
        client.datasource_downloads.download_file("j", datasource_id="d").save(
            target, overwrite=True
        )
    assert target.read_bytes() == b"the previous export"
    assert _files(tmp_path) == ["export.bin"]


@pytest.mark.anyio
async def test_a_connection_cut_mid_body_async(server: FileServer, tmp_path: Path) -> None:
    body = bytes(range(256)) * 4096
    server.reply(body, cut_after=len(body) // 2)
    async with _async_client(server) as client:
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(APIConnectionError, match="after 524,288 of 1,048,576 bytes"):
            await download.save(tmp_path / "export.bin")
        assert download.closed
    assert _files(tmp_path) == []


def test_a_cut_body_of_unknown_length_says_so(server: FileServer, tmp_path: Path) -> None:
    server.reply(CSV, chunked=True, cut_after=5000)
    with _client(server) as client, pytest.raises(APIConnectionError) as cut:
        client.datasource_downloads.download_file("j", datasource_id="d").save(
            tmp_path / "export.csv"
        )
    message = str(cut.value)
    assert (
        "failed after 5,000 bytes of the body were received (its length was not given)" in message
    )
    assert _files(tmp_path) == []


def test_a_read_timeout_mid_body_is_an_api_timeout_error(server: FileServer) -> None:
    server.reply(CSV, cut_after=1000, stall=2.0)  # then silent for longer than the timeout
    with _client(server, timeout=0.3) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(APITimeoutError, match=r"timed out after 1,000 of [\d,]+ bytes") as e:
            download.read()
        assert isinstance(e.value.__cause__, httpx2.ReadTimeout)
        assert download.closed


def test_an_existing_file_is_refused_before_the_body_is_read(
    server: FileServer, tmp_path: Path
) -> None:
    target = tmp_path / "export.csv"
    target.write_bytes(b"mine")
    with _pool_of_one(server) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(FileExistsError) as refused:
            download.save(target)
        assert refused.value.filename == str(target)
        assert download.response.num_bytes_downloaded == 0
        assert download.closed
        server.reply(headers={"Content-Disposition": 'attachment; filename="export.csv"'})
        with pytest.raises(FileExistsError):  # in a directory, the same
            client.datasource_downloads.download_file("j", datasource_id="d").save(tmp_path)
        assert target.read_bytes() == b"mine"
        assert client.datasource_downloads.download_file("j", datasource_id="d").save(
            target, overwrite=True
        )
    assert target.read_bytes() == CSV
    assert _files(tmp_path) == ["export.csv"]


def test_errors_before_the_body_are_retried_as_the_policy_says(server: FileServer) -> None:
    error = {"Content-Type": "application/json"}
    with _client(server) as client:
        client._retry = RetryPolicy(initial_delay=0.01)
        server.reply(b'{"detail": "busy"}', status=500, headers=error)
        assert (
            client.datasource_downloads.download_file("j", datasource_id="d").read() == CSV
        )  # GET: retried
        assert len(server.requests) == 2

        # A POST that may have reached the server is sent once...
        server.reply(b'{"detail": "busy"}', status=500, headers=error)
        with pytest.raises(InternalServerError, match="busy"):
            client.datasource_downloads.process_download("d")
        assert len(server.requests) == 3
        # ...unless the server says to retry.
        server.reply(b'{"detail": "later"}', status=503, headers={**error, "Retry-After": "0"})
        assert client.datasource_downloads.process_download("d").read() == CSV
    assert [r.method for r in server.requests] == ["GET", "GET", "POST", "POST", "POST"]


def test_every_way_of_reading_releases_the_connection(server: FileServer, tmp_path: Path) -> None:
    ways: list[Callable[[Download], object]] = [
        lambda d: d.save(tmp_path / "f.csv", overwrite=True),
        lambda d: d.save(io.BytesIO()),
        Download.read,
        Download.text,
        lambda d: list(d.iter_bytes()),
        lambda d: list(d.iter_bytes(chunk_size=MIB)),
        Download.close,  # unread: the connection is closed, the pool slot freed
    ]
    with _pool_of_one(server, pool_timeout=1.0) as client:
        for _ in range(3):
            for way in ways:
                way(client.datasource_downloads.download_file("j", datasource_id="d"))
            with client.datasource_downloads.download_file("j", datasource_id="d") as download:
                next(iter(download.iter_bytes()))  # abandoned part-way, closed by `with`
    assert len(server.requests) == 24
    assert server.connections == 6  # a new one after each body left unread, else kept alive


def test_with_raw_response_parses_to_a_download(server: FileServer) -> None:
    server.reply(headers={"Content-Type": "text/csv", "X-Request-ID": "req_1"})
    with _client(server) as client:
        raw = client.datasource_downloads.with_raw_response.download_file("j", datasource_id="d")
        assert isinstance(raw, RawResponse)
        assert (raw.status_code, raw.request_id) == (200, "req_1")
        download = raw.parse()
        assert isinstance(download, Download)
        assert raw.parse() is download
        with download:
            assert download.read() == CSV


@pytest.mark.anyio
async def test_async_with_raw_response_parses_to_a_download(server: FileServer) -> None:
    async with _async_client(server) as client:
        raw = await client.documents.with_raw_response.get_document_result("j")
        download = raw.parse()
        assert isinstance(download, AsyncDownload)
        async with download:
            assert await download.read() == CSV


def test_repr_shows_status_filename_and_type_but_no_header_value(server: FileServer) -> None:
    server.reply(
        headers={
            "Content-Type": "Text/CSV; charset=utf-8",
            "Content-Disposition": 'attachment; filename="q4.csv"',
            "Set-Cookie": "session=s3cr3t",
            "Location": "https://storage.example/q4.csv?X-Amz-Signature=s3cr3t",
        }
    )
    with (
        _client(server) as client,
        client.datasource_downloads.download_file("j", datasource_id="d") as d,
    ):
        assert repr(d) == "<Download [200] filename='q4.csv' content_type='text/csv'>"
        assert (d.status_code, d.filename, d.content_type) == (200, "q4.csv", "text/csv")
        assert d.headers["set-cookie"] == "session=s3cr3t"
        assert isinstance(d.response, httpx2.Response)


def test_an_unclosed_download_collected_releases_its_connection(server: FileServer) -> None:
    with _pool_of_one(server, pool_timeout=1.0) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.warns(ResourceWarning, match=r"unclosed <Download \[200\].*GET http://") as w:
            del download  # the last reference: collected at once
        assert "closed now" in str(w[0].message)
        assert (
            client.datasource_downloads.download_file("j", datasource_id="d").read() == CSV
        )  # a free slot


@pytest.mark.anyio
async def test_an_unclosed_async_download_collected_releases_its_connection(
    server: FileServer,
) -> None:
    limits = httpx2.Limits(max_connections=1)
    http_client = httpx2.AsyncClient(limits=limits, timeout=httpx2.Timeout(10.0, pool=1.0))
    async with _async_client(server, http_client=http_client) as client:
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.warns(ResourceWarning, match=r"unclosed <AsyncDownload \[200\]") as w:
            del download  # the last reference: collected at once
        assert "being released" in str(w[0].message)
        again = await client.datasource_downloads.download_file(
            "j", datasource_id="d"
        )  # a free slot
        assert await again.read() == CSV
    await http_client.aclose()


def test_an_async_download_without_an_event_loop_warns_that_it_could_not_be_released() -> None:
    class Body(httpx2.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"never read"

    request = httpx2.Request("GET", "http://api.test/v2/documents/j/result")
    download = AsyncDownload(httpx2.Response(200, stream=Body(), request=request))  # no loop
    with pytest.warns(ResourceWarning, match=r"GET http://api.test/.*could not be released"):
        del download


def test_a_large_download_is_saved_whole_in_bounded_memory(
    server: FileServer, tmp_path: Path
) -> None:
    """512 MiB saved by a fresh process: every byte (a hash), and peak RSS growth under 64 MiB
    (about 1.5 s; benchmarks/download.py times it against raw httpx2)."""
    blocks = 512
    server.reply(blocks=blocks, headers={"Content-Type": "application/octet-stream"})
    script = textwrap.dedent(
        """
        import json, sys
        from meibel import MeibelClient
        import meibel._download, meibel_api_v2.api.datasource_downloads.download_file

        def rss_kib(field):
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith(field))

        client = MeibelClient(api_key="k", base_url=sys.argv[1])
        baseline = rss_kib("VmRSS:")
        with client.datasource_downloads.download_file("j", datasource_id="d") as download:
            written = download.save(sys.argv[2])
        print(json.dumps({"written": written, "growth_kib": rss_kib("VmHWM:") - baseline}))
        """
    )
    target = tmp_path / "large.bin"
    run = subprocess.run(
        [sys.executable, "-c", script, server.url, str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    expected = hashlib.sha256()
    for index in range(blocks):
        expected.update(block(index))
    saved = hashlib.sha256()
    with target.open("rb") as file:
        while piece := file.read(MIB):
            saved.update(piece)
    assert result["written"] == blocks * MIB
    assert saved.hexdigest() == expected.hexdigest()
    assert result["growth_kib"] < 64 * 1024, result
    target.unlink()  # 512 MiB: not left for pytest's tmp_path retention
