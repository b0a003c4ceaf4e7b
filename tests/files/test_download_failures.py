"""Downloads cut short, timed out, refused before the body, and retried (real HTTP on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from download_support import _async_client, _client, _files, _pool_of_one
from file_server import CSV, FileServer

from meibel import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
)
from meibel._retry import RetryPolicy


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
