"""Where save() writes (issue #19, row 8): never through a FIFO, device or symlink, even with
overwrite=True (the error names the path and what it is); a path ending in "/" is a directory,
created if missing and removed again if the save fails; writes stay atomic. Download.save and
AsyncDownload.save over real HTTP, and Artifact.save.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from file_server import CSV, FileServer

from meibel import APIConnectionError, AsyncMeibelClient, MeibelClient
from meibel.models import Artifact

NAMED = {"Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="export.csv"'}


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as running:
        yield running


def listing(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def _special(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A FIFO, a link to a file, a dangling link or a device, and how an error names it."""
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe")
        return tmp_path / "pipe", "a FIFO (named pipe)"
    if kind == "link":
        (tmp_path / "real.csv").write_text("precious")
        (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
        return tmp_path / "link.csv", "a symbolic link"
    if kind == "dangling":
        (tmp_path / "dangling.csv").symlink_to(tmp_path / "nowhere" / "x.csv")
        return tmp_path / "dangling.csv", "a symbolic link"
    return Path("/dev/null"), "a character device"


KINDS = ["fifo", "link", "dangling", "device"]


def _unchanged(path: Path, kind: str) -> None:
    mode = os.lstat(path).st_mode
    if kind == "fifo":
        assert stat.S_ISFIFO(mode)
    elif kind == "device":
        assert stat.S_ISCHR(mode)
    else:
        assert stat.S_ISLNK(mode)
    if kind == "link":
        assert (path.parent / "real.csv").read_text() == "precious"
    if kind == "dangling":
        assert not (path.parent / "nowhere").exists()


@pytest.mark.parametrize("overwrite", [True, False], ids=["overwrite", "no-overwrite"])
@pytest.mark.parametrize("kind", KINDS)
def test_save_never_replaces_a_fifo_device_or_link(
    server: FileServer, tmp_path: Path, kind: str, overwrite: bool
) -> None:
    path, what = _special(tmp_path, kind)
    before = listing(tmp_path)
    with MeibelClient(api_key="k", base_url=server.url) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(FileExistsError) as refused:
            download.save(path, overwrite=overwrite)
        assert download.closed
        assert download.response.num_bytes_downloaded == 0, "refused before the body"
    assert refused.value.filename == str(path)
    assert f"it is {what}, which save() never replaces" in str(refused.value)
    assert "overwrite=True" not in str(refused.value), "overwrite cannot help"
    _unchanged(path, kind)
    assert listing(tmp_path) == before, "no temporary file left"


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_async_save_never_replaces_a_fifo_device_or_link(
    server: FileServer, tmp_path: Path, kind: str
) -> None:
    path, what = _special(tmp_path, kind)
    before = listing(tmp_path)
    async with AsyncMeibelClient(api_key="k", base_url=server.url) as client:
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(FileExistsError, match=what.replace("(", r"\(").replace(")", r"\)")):
            await download.save(path, overwrite=True)
        assert download.closed
    _unchanged(path, kind)
    assert listing(tmp_path) == before


def test_a_server_filename_naming_a_directory_is_not_replaced(
    server: FileServer, tmp_path: Path
) -> None:
    (tmp_path / "export.csv").mkdir()
    server.reply(headers=NAMED)
    with MeibelClient(api_key="k", base_url=server.url) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(FileExistsError, match="it is a directory"):
            download.save(tmp_path, overwrite=True)
    assert listing(tmp_path) == ["export.csv"]


@pytest.mark.parametrize("form", ["link", "link/"])
def test_a_link_to_a_directory_given_as_the_directory_is_saved_into(
    server: FileServer, tmp_path: Path, form: str
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    server.reply(headers=NAMED)
    with MeibelClient(api_key="k", base_url=server.url) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        assert download.save(f"{tmp_path}/{form}") == len(CSV)
    assert (tmp_path / "real" / "export.csv").read_bytes() == CSV
    assert (tmp_path / "link").is_symlink()


@pytest.mark.parametrize("where", ["new/", "a/b/c/"])
def test_a_path_ending_in_a_slash_is_a_directory_created_if_missing(
    server: FileServer, tmp_path: Path, where: str
) -> None:
    server.reply(headers=NAMED)
    with MeibelClient(api_key="k", base_url=server.url) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        download.save(f"{tmp_path}/{where}")
    assert (tmp_path / where / "export.csv").read_bytes() == CSV
    assert listing(tmp_path / where) == ["export.csv"], "no temporary file left"


@pytest.mark.anyio
async def test_async_a_path_ending_in_a_slash_is_a_directory(
    server: FileServer, tmp_path: Path
) -> None:
    server.reply(headers={"Content-Type": "text/csv"})  # no filename: "download"
    async with AsyncMeibelClient(api_key="k", base_url=server.url) as client:
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        await download.save(f"{tmp_path}/out/")
    assert listing(tmp_path) == ["out", "out/download"]


def test_a_failed_save_removes_the_directories_it_made(server: FileServer, tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    server.reply(headers=NAMED, cut_after=len(CSV) // 2)
    with MeibelClient(api_key="k", base_url=server.url, max_retries=0) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(APIConnectionError, match="the download failed after"):
            download.save(f"{tmp_path}/kept/new/deeper/")
    assert listing(tmp_path) == ["kept"], "no partial file, no directory it made"


@pytest.mark.anyio
async def test_async_a_failed_save_removes_the_directories_it_made(
    server: FileServer, tmp_path: Path
) -> None:
    server.reply(headers=NAMED, cut_after=1000)
    async with AsyncMeibelClient(api_key="k", base_url=server.url, max_retries=0) as client:
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(APIConnectionError):
            await download.save(f"{tmp_path}/new/")
    assert listing(tmp_path) == []


def test_a_path_ending_in_a_slash_that_is_a_file_is_refused(
    server: FileServer, tmp_path: Path
) -> None:
    (tmp_path / "report.csv").write_text("precious")
    with MeibelClient(api_key="k", base_url=server.url) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(NotADirectoryError) as refused:
            download.save(f"{tmp_path}/report.csv/", overwrite=True)
        assert download.closed
    assert refused.value.filename == f"{tmp_path}/report.csv/"
    assert "a path ending in / names one" in str(refused.value)
    assert (tmp_path / "report.csv").read_text() == "precious"


def test_a_missing_directory_without_a_slash_is_named(server: FileServer, tmp_path: Path) -> None:
    with MeibelClient(api_key="k", base_url=server.url) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(FileNotFoundError) as missing:
            download.save(tmp_path / "missing" / "x.csv")
    assert missing.value.filename == str(tmp_path / "missing")
    assert missing.value.strerror == "no such directory"
    assert listing(tmp_path) == []


# ----- Artifact.save ------------------------------------------------------------------------------


def _artifact(**fields: Any) -> Artifact:
    data = {"artifact_id": "a1", "filename": "report.txt", "mime_type": "text/plain", **fields}
    return Artifact.from_dict(data)


@pytest.mark.parametrize("kind", KINDS)
def test_an_artifact_never_replaces_a_fifo_device_or_link(tmp_path: Path, kind: str) -> None:
    path, what = _special(tmp_path, kind)
    before = listing(tmp_path)
    with pytest.raises(FileExistsError, match="never replaces") as refused:
        _artifact(content="new").save(path, overwrite=True)
    assert what in str(refused.value)
    _unchanged(path, kind)
    assert listing(tmp_path) == before


def test_an_artifact_from_storage_is_refused_before_downloading(
    server: FileServer, tmp_path: Path
) -> None:
    path, _ = _special(tmp_path, "fifo")
    stored = _artifact(storage_url=server.url + "/b.csv")
    with pytest.raises(FileExistsError, match="FIFO"):
        stored.save(path, overwrite=True)
    assert server.requests == []


def test_an_artifact_saved_to_a_path_ending_in_a_slash(tmp_path: Path) -> None:
    assert (
        _artifact(content="hello").save(f"{tmp_path}/a/b/") == tmp_path / "a" / "b" / "report.txt"
    )
    assert (tmp_path / "a" / "b" / "report.txt").read_text() == "hello"
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        _artifact(content="hello").save(f"{tmp_path}/file/")
