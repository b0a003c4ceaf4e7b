"""Downloads (meibel.Download / AsyncDownload) over real HTTP on 127.0.0.1: what each operation
returns, saving to a path, a directory or a file object, progress, and every way of reading.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from download_support import OPERATION_IDS, OPERATIONS, _async_client, _client, _files, _pool_of_one
from file_server import CSV, FileServer

from meibel import (
    AsyncDownload,
    Download,
    UnsafeFilenameError,
)
from meibel._download import DEFAULT_FILENAME, parse_filename


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
