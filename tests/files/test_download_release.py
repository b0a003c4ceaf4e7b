"""Downloads give their connection back however they end (read, raw, unclosed and collected), show
no header in their repr, and save a large body in bounded memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx2
import pytest
from download_support import _async_client, _client, _pool_of_one
from file_server import CSV, MIB, FileServer, block

from meibel import (
    AsyncDownload,
    Download,
    RawResponse,
)


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
