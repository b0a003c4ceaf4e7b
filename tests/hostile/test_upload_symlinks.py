"""Symbolic links in an uploaded folder are never followed, whatever they point at: a file, a
directory, the folder itself, nothing (dangling), or another link in a loop. Each is reported as
skipped "symlink", never as a failure, and `meibel upload` exits 0 for them."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest

from meibel import UploadReport
from meibel._cli import main
from meibel._folder_upload import SkippedFile
from meibel.models import CreateDatasourceRequest
from meibel.testing import FakeMeibel

LINKS = ["dangling", "loop", "ping", "pong", "to-file.txt", "to-parent", "to-sub"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"a")
    (root / "sub" / "b.txt").write_bytes(b"b")
    (root / "to-file.txt").symlink_to(root / "a.txt")
    (root / "to-sub").symlink_to(root / "sub", target_is_directory=True)
    (root / "to-parent").symlink_to(root, target_is_directory=True)
    (root / "dangling").symlink_to(root / "missing.txt")
    (root / "loop").symlink_to(root / "loop")  # stat() fails with ELOOP
    (root / "ping").symlink_to(root / "pong")
    (root / "pong").symlink_to(root / "ping")
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        os.stat(root / "loop")
    return root


def _upload(mode: str, folder: Path) -> UploadReport:
    fake = FakeMeibel()
    request = CreateDatasourceRequest(name="Docs")
    if mode == "sync":
        with fake.client() as client:
            datasource = client.datasources.create_datasource(body=request)
            return client.file_upload.upload_folder(datasource.id, folder)

    async def main() -> UploadReport:
        async with fake.async_client() as client:
            datasource = await client.datasources.create_datasource(body=request)
            return await client.file_upload.upload_folder(datasource.id, folder)

    return anyio.run(main)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_links_of_every_kind_are_skipped_not_failed(mode: str, folder: Path) -> None:
    report = _upload(mode, folder)
    assert report.failed == ()
    assert report.ok
    assert [path.relative_to(folder).as_posix() for path, _ in report.uploaded] == [
        "a.txt",
        "sub/b.txt",
    ]
    assert report.skipped == tuple(SkippedFile(folder / name, "symlink") for name in LINKS)


def test_meibel_upload_exits_0_for_them(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--fake", "upload", str(folder), "--datasource", "ds_1"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.splitlines() == [f"uploaded 2 files (2 B) to ds_1, skipped {len(LINKS)}"]
