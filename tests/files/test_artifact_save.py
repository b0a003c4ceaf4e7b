"""Artifact.save(): a server-chosen filename never leaves the chosen directory, nothing is
overwritten unless asked, and a failed write leaves no file behind."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from wire import RecordingServer

from meibel import MeibelError, UnsafeFilenameError
from meibel.models import Artifact


def artifact(filename: str, content: str | None = "hello", **fields: str) -> Artifact:
    data = {"artifact_id": "a1", "filename": filename, "mime_type": "text/plain", **fields}
    if content is not None:
        data["content"] = content
    return Artifact.from_dict(data)


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with an empty sibling, tmp_path/"outside"."""
    (tmp_path / "cwd").mkdir()
    (tmp_path / "outside").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path / "cwd"


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.mark.parametrize(
    ("filename", "written"),
    [
        ("report.txt", "report.txt"),
        ("../escaped.txt", "escaped.txt"),
        ("../../../../../../../../tmp/escaped.txt", "escaped.txt"),
        ("/tmp/x/abs.txt", "abs.txt"),
        ("..\\..\\win.txt", "win.txt"),
        ("C:\\Users\\me\\evil.txt", "evil.txt"),
        ("sub/dir/..\\mixed.txt", "mixed.txt"),
        ("..hidden..", "hidden"),
        ("nul\0.txt", "nul_.txt"),
    ],
)
def test_a_server_filename_is_reduced_to_its_base_name(
    cwd: Path, filename: str, written: str
) -> None:
    saved = artifact(filename).save()
    assert saved == Path(written)
    assert (cwd / written).read_text() == "hello"
    assert files_under(cwd.parent) == ["cwd", f"cwd/{written}", "outside"]


def test_an_absolute_filename_is_written_in_the_working_directory(cwd: Path) -> None:
    outside = cwd.parent / "outside" / "abs.txt"
    assert artifact(str(outside)).save() == Path("abs.txt")
    assert not outside.exists()
    assert (cwd / "abs.txt").read_text() == "hello"


@pytest.mark.parametrize(
    "filename",
    ["", ".", "..", "a/../..", "dir/", "..\\", "a\\..\\..", "/", "\\\\", "...", " . \x1b"],
)
def test_a_filename_that_names_no_file_is_refused(cwd: Path, filename: str) -> None:
    with pytest.raises(UnsafeFilenameError) as caught:
        artifact(filename).save()
    error = caught.value
    assert isinstance(error, MeibelError)
    assert isinstance(error, ValueError)
    assert error.filename == filename
    assert repr(filename) in str(error)
    assert "save(path)" in str(error)
    assert files_under(cwd.parent) == ["cwd", "outside"]


def test_a_directory_path_gets_the_sanitised_filename(cwd: Path) -> None:
    target = cwd.parent / "outside"
    assert artifact("../../escaped.txt").save(target) == target / "escaped.txt"
    assert (target / "escaped.txt").read_text() == "hello"
    with pytest.raises(UnsafeFilenameError, match=r"'a/\.\./\.\.'"):
        artifact("a/../..").save(target)
    assert files_under(cwd.parent) == ["cwd", "outside", "outside/escaped.txt"]


def test_a_file_path_is_used_as_given(cwd: Path) -> None:
    chosen = cwd.parent / "outside" / "chosen.md"
    # The caller chose the path: the server's name, even an unusable one, is not consulted.
    assert artifact("..").save(chosen) == chosen
    assert chosen.read_text() == "hello"
    assert artifact("x.txt", content="relative").save("here.md") == Path("here.md")
    assert (cwd / "here.md").read_text() == "relative"


@pytest.mark.parametrize("where", ["default", "directory", "file"])
def test_an_existing_file_is_replaced_only_with_overwrite(cwd: Path, where: str) -> None:
    path = {"default": None, "directory": cwd, "file": cwd / "report.txt"}[where]
    existing = cwd / "report.txt"
    existing.write_text("precious")

    with pytest.raises(FileExistsError) as caught:
        artifact("../report.txt", content="new").save(path)
    assert caught.value.filename == str(existing if path is not None else "report.txt")
    assert "overwrite=True" in str(caught.value)
    assert existing.read_text() == "precious"

    saved = artifact("../report.txt", content="new").save(path, overwrite=True)
    assert saved.resolve() == existing
    assert existing.read_text() == "new"
    assert files_under(cwd) == ["report.txt"]  # no temporary file left behind


def test_a_symlink_counts_as_an_existing_file(cwd: Path) -> None:
    (cwd / "link.txt").symlink_to(cwd.parent / "outside" / "missing.txt")
    with pytest.raises(FileExistsError):
        artifact("link.txt").save()
    assert not (cwd.parent / "outside" / "missing.txt").exists()


def test_saving_twice_refuses_the_second_time(cwd: Path) -> None:
    report = artifact("report.txt")
    report.save()
    with pytest.raises(FileExistsError):
        report.save()
    assert report.save(overwrite=True) == Path("report.txt")


def test_the_file_gets_the_permissions_of_a_plain_write(cwd: Path) -> None:
    saved = artifact("report.txt").save()
    plain = cwd / "plain.txt"
    plain.write_text("hello")
    assert stat.S_IMODE(saved.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_a_download_to_an_existing_file_is_refused_before_the_request(
    cwd: Path, recording_server: RecordingServer
) -> None:
    (cwd / "bundle.zip").write_bytes(b"old")
    bundle = artifact("bundle.zip", content=None, storage_url=recording_server.url + "/b.zip")
    with pytest.raises(FileExistsError):
        bundle.save()
    assert recording_server.requests == []

    recording_server.respond(200, b"zip bytes" * 1000, **{"Content-Type": "application/zip"})
    assert bundle.save(overwrite=True) == Path("bundle.zip")
    assert (cwd / "bundle.zip").read_bytes() == b"zip bytes" * 1000
    assert files_under(cwd) == ["bundle.zip"]


def test_an_interrupted_download_leaves_no_file(
    cwd: Path, recording_server: RecordingServer
) -> None:
    (cwd / "bundle.zip").write_bytes(b"old")
    recording_server.stream([b"partial " * 1000, 0.05], drop=True, content_type="application/zip")
    bundle = artifact("../bundle.zip", content=None, storage_url=recording_server.url + "/b.zip")
    with pytest.raises(httpx2.RemoteProtocolError):
        bundle.save(overwrite=True)
    assert (cwd / "bundle.zip").read_bytes() == b"old"
    assert files_under(cwd) == ["bundle.zip"]

    recording_server.stream([b"partial", 0.05], drop=True, content_type="application/zip")
    with pytest.raises(httpx2.RemoteProtocolError):
        bundle.save(cwd.parent / "outside")
    assert files_under(cwd.parent) == ["cwd", "cwd/bundle.zip", "outside"]


def test_a_failed_download_status_leaves_no_file(
    cwd: Path, recording_server: RecordingServer
) -> None:
    recording_server.respond(403, b"denied", **{"Content-Type": "text/plain"})
    bundle = artifact("bundle.zip", content=None, storage_url=recording_server.url + "/b.zip")
    with pytest.raises(httpx2.HTTPStatusError):
        bundle.save()
    assert os.listdir(cwd) == []


def test_a_file_created_during_the_download_is_not_replaced(cwd: Path) -> None:
    class Body(httpx2.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"first half "
            (cwd / "bundle.zip").write_bytes(b"someone else's")
            yield b"second half"

    transport = httpx2.MockTransport(lambda _: httpx2.Response(200, stream=Body()))
    bundle = artifact("bundle.zip", content=None, storage_url="https://storage.example/b.zip")
    with httpx2.Client(transport=transport) as http, pytest.raises(FileExistsError) as caught:
        bundle.save(http_client=http)
    assert caught.value.filename == "bundle.zip"
    assert (cwd / "bundle.zip").read_bytes() == b"someone else's"
    assert files_under(cwd) == ["bundle.zip"]
