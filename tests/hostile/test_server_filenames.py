"""Filenames the server chooses become safe names on disk (issue #19, row 7).

A download's Content-Disposition and an artifact's `filename` are the server's to choose. Saved
into a directory, each becomes its base name with control characters (C0, DEL, C1, the bidi and
invisible format characters) replaced by "_" and dots and spaces at either end removed, so
nothing is hidden, disguised or able to act on a terminal listing it; a name with nothing left
is refused before any of the body is read. Over real HTTP, sync and async.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from file_server import CSV, FileServer

from meibel import AsyncMeibelClient, MeibelClient, UnsafeFilenameError
from meibel.models import Artifact

# (Content-Disposition, the name it is saved under)
NAMES = [
    # ESC ] 0 ; ... BEL retitles a terminal; a newline splits a listing's line.
    ("attachment; filename*=UTF-8''%1B%5D0%3Bpwned%07report%0A.csv", "_]0;pwned_report_.csv"),
    # U+202E (right-to-left override) shows "invoice\u202efdp.exe" as "invoiceexe.pdf".
    ("attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe", "invoice_fdp.exe"),
    # Zero-width space and BOM: invisible, so two names that look alike differ.
    ("attachment; filename*=UTF-8''re%E2%80%8Bport%EF%BB%BF.csv", "re_port_.csv"),
    # C1: a raw byte 0x9B (CSI) in a plain filename, read as Latin-1; and DEL.
    ('attachment; filename="\x9b31mred.csv"', "_31mred.csv"),
    ("attachment; filename*=UTF-8''del%7F.csv", "del_.csv"),
    ("attachment; filename*=UTF-8''nul%00.csv", "nul_.csv"),
    # Dotfiles are made visible; dots and spaces at either end go, as Chromium does.
    ('attachment; filename=".bashrc"', "bashrc"),
    ('attachment; filename="..x"', "x"),
    ('attachment; filename="  . env . "', "env"),
    ('attachment; filename="../../.ssh/authorized_keys"', "authorized_keys"),
    # What is text stays: the joiners of Persian and of emoji sequences, accents, spaces inside.
    (
        "attachment; filename*=UTF-8''%D9%85%DB%8C%E2%80%8C%D8%AE%D9%88%D8%A7%D9%87%D9%85.txt",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.txt",
    ),
    (
        "attachment; filename*=UTF-8''%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB%20notes.md",
        "\U0001f469\u200d\U0001f4bb notes.md",
    ),
    ("attachment; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt", "naïve résumé.txt"),
]
IDS = [saved_as for _, saved_as in NAMES]

# Names with nothing usable left once controls, dots and spaces are taken away.
REFUSED = [
    ("attachment; filename*=UTF-8''%1B%07", "\x1b\x07"),
    ('attachment; filename="..."', "..."),
    ("attachment; filename*=UTF-8''%20.%E2%80%AE.%20", " .\u202e. "),
    ('attachment; filename="dir/.."', "dir/.."),
]


def files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


@pytest.fixture
def server() -> Any:
    with FileServer() as running:
        yield running


@pytest.mark.parametrize(("disposition", "saved_as"), NAMES, ids=IDS)
def test_a_download_saved_into_a_directory_gets_a_safe_name(
    server: FileServer, tmp_path: Path, disposition: str, saved_as: str
) -> None:
    server.reply(headers={"Content-Type": "text/csv", "Content-Disposition": disposition})
    with MeibelClient(api_key="k", base_url=server.url) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        download.save(tmp_path)
    assert files(tmp_path) == [saved_as]
    assert (tmp_path / saved_as).read_bytes() == CSV


@pytest.mark.anyio
@pytest.mark.parametrize(("disposition", "saved_as"), NAMES, ids=IDS)
async def test_an_async_download_saved_into_a_directory_gets_a_safe_name(
    server: FileServer, tmp_path: Path, disposition: str, saved_as: str
) -> None:
    server.reply(headers={"Content-Type": "text/csv", "Content-Disposition": disposition})
    async with AsyncMeibelClient(api_key="k", base_url=server.url) as client:
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        await download.save(f"{tmp_path}/")
    assert files(tmp_path) == [saved_as]
    assert (tmp_path / saved_as).read_bytes() == CSV


def test_the_filename_property_stays_as_the_server_sent_it(server: FileServer) -> None:
    server.reply(headers={"Content-Disposition": NAMES[0][0]})
    with (
        MeibelClient(api_key="k", base_url=server.url) as client,
        client.datasource_downloads.download_file("j", datasource_id="d") as download,
    ):
        assert download.filename == "\x1b]0;pwned\x07report\n.csv"
        assert "\\x1b" in repr(download), "a repr escapes it"


@pytest.mark.parametrize(("disposition", "filename"), REFUSED, ids=repr)
def test_a_name_with_nothing_usable_is_refused_before_the_body(
    server: FileServer, tmp_path: Path, disposition: str, filename: str
) -> None:
    server.reply(headers={"Content-Disposition": disposition})
    with MeibelClient(api_key="k", base_url=server.url) as client:
        download = client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(UnsafeFilenameError) as refused:
            download.save(tmp_path)
        assert download.closed
        assert download.response.num_bytes_downloaded == 0
    assert refused.value.filename == filename
    assert "save(path)" in str(refused.value)
    assert files(tmp_path) == []


@pytest.mark.anyio
async def test_an_async_name_with_nothing_usable_is_refused(
    server: FileServer, tmp_path: Path
) -> None:
    server.reply(headers={"Content-Disposition": REFUSED[0][0]})
    async with AsyncMeibelClient(api_key="k", base_url=server.url) as client:
        download = await client.datasource_downloads.download_file("j", datasource_id="d")
        with pytest.raises(UnsafeFilenameError):
            await download.save(f"{tmp_path}/new/")
        assert download.closed
    assert files(tmp_path) == [], "the directory it would have made is not left behind"


def _artifact(filename: str) -> Artifact:
    data = {"artifact_id": "a1", "filename": filename, "mime_type": "text/plain"}
    return Artifact.from_dict({**data, "content": "hello"})


ARTIFACT_NAMES = [
    ("\x1b]0;pwned\x07report\n.csv", "_]0;pwned_report_.csv"),
    ("invoice\u202efdp.exe", "invoice_fdp.exe"),
    ("\x9b31mred.csv", "_31mred.csv"),
    (".bashrc", "bashrc"),
    ("..x", "x"),
    ("sub/.profile", "profile"),
    ("ok\u2028line.txt", "ok_line.txt"),
]


@pytest.mark.parametrize(("filename", "saved_as"), ARTIFACT_NAMES, ids=repr)
def test_an_artifact_gets_the_same_safe_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filename: str, saved_as: str
) -> None:
    (tmp_path / "in").mkdir()
    assert _artifact(filename).save(tmp_path / "in") == tmp_path / "in" / saved_as
    monkeypatch.chdir(tmp_path)
    assert _artifact(filename).save() == Path(saved_as)
    assert files(tmp_path) == sorted(["in", saved_as])
    assert (tmp_path / saved_as).read_text() == "hello"


def test_an_artifact_name_with_nothing_usable_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for filename in ("\x1b\x07", "...", "\u202e"):
        with pytest.raises(UnsafeFilenameError):
            _artifact(filename).save()
        with pytest.raises(UnsafeFilenameError):
            _artifact(filename).save("made/")
    assert files(tmp_path) == []


def test_a_name_too_long_for_the_filesystem_is_cut_keeping_its_extension(
    server: FileServer, tmp_path: Path
) -> None:
    long = "r\u00e9sum\u00e9 " * 100  # 800 characters, 1,000 bytes of UTF-8
    server.reply(headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(long)}.pdf"})
    with MeibelClient(api_key="k", base_url=server.url) as client:
        client.datasource_downloads.download_file("j", datasource_id="d").save(tmp_path)
    (saved,) = files(tmp_path)
    stem = saved.removesuffix(".pdf")
    assert stem != saved, "the extension is kept"
    assert 245 <= len(saved.encode()) <= 255
    assert long.startswith(stem), "cut at a character, never inside one"
    assert _artifact("x" * 300 + ".tar.gz").save(tmp_path) == tmp_path / ("x" * 252 + ".gz")
