"""A folder upload whose answers get lost: no file lost, none stored twice, and said so when the
server cannot tell. Against tests/files/fault_server.py over real HTTP, sync and async."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fault_server import DATASOURCE, FaultServer

from meibel import (
    AsyncMeibelClient,
    BadRequestError,
    InternalServerError,
    MeibelClient,
    UploadReport,
    UploadUndecidedError,
)
from meibel.models import ContentItem, UploadContentResponse

MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    for index in range(12):
        where = root / "sub" if index % 4 == 0 else root
        (where / f"f{index:02}.txt").write_bytes(f"file {index}\n".encode() * (index + 1))
    return root


def upload(mode: str, url: str, folder: Path, **options: Any) -> UploadReport:
    settings = {"api_key": "k", "base_url": url, "max_retries": options.pop("max_retries", 2)}
    if mode == "sync":
        with MeibelClient(**settings) as client:
            return client.file_upload.upload_folder(DATASOURCE, folder, **options)

    async def main() -> UploadReport:
        async with AsyncMeibelClient(**settings) as client:
            return await client.file_upload.upload_folder(DATASOURCE, folder, **options)

    return anyio.run(main)


def names(files: tuple[Any, ...], folder: Path) -> list[str]:
    return [item[0].relative_to(folder).as_posix() for item in files]


@MODES
def test_an_answer_lost_after_the_server_stored_the_file_is_checked_not_resent(
    mode: str, server: FaultServer, folder: Path
) -> None:
    server.script = {"f01.txt": ["store+reset"], "f02.txt": ["store+500"]}
    report = upload(mode, server.url, folder, concurrency=4)

    assert report.ok
    assert len(report.uploaded) == 12
    assert set(server.stored.values()) == {1}  # each file once
    assert sorted(server.listings) == ["f01.txt", "f02.txt"]  # asked, once each
    answers = dict(report.uploaded)
    for name in ("f01.txt", "f02.txt"):
        listed = answers[folder / name]
        assert isinstance(listed, ContentItem)  # what the listing showed stored
        assert listed.path == name
    assert isinstance(answers[folder / "f03.txt"], UploadContentResponse)


@MODES
def test_what_the_server_did_not_store_is_sent_again(
    mode: str, server: FaultServer, folder: Path
) -> None:
    server.script = {
        "f01.txt": ["500"],  # may have stored it: asked first, then sent again
        "f02.txt": ["reset"],
        "f03.txt": ["429-bare", "429", "429", "429"],  # more 429s than max_retries=2
        "sub/f04.txt": ["500", "reset", "500"],
    }
    report = upload(mode, server.url, folder, concurrency=4)

    assert report.ok, report.failed
    assert len(report.uploaded) == 12
    assert set(server.stored.values()) == {1}
    assert server.sent["f03.txt"] == 5
    assert server.sent["sub/f04.txt"] == 4
    assert sorted(server.listings) == ["f01.txt", "f02.txt"] + ["sub/f04.txt"] * 3  # never for 429


@MODES
def test_after_the_last_send_the_server_is_still_asked(
    mode: str, server: FaultServer, folder: Path
) -> None:
    server.script = {
        "f01.txt": ["500", "500", "500", "store+500"],  # stored by the last of 4 sends
        "f02.txt": ["500", "500", "500", "500"],  # never stored
    }
    report = upload(mode, server.url, folder, concurrency=4)

    assert names(report.uploaded, folder).count("f01.txt") == 1
    assert names(report.failed, folder) == ["f02.txt"]
    assert isinstance(report.failed[0][1], InternalServerError)
    assert server.sent["f01.txt"] == server.sent["f02.txt"] == 4
    assert server.stored["f01.txt"] == 1
    assert "f02.txt" not in server.stored


@MODES
def test_an_older_file_of_that_name_is_not_taken_for_this_one(
    mode: str, server: FaultServer, folder: Path
) -> None:
    older = (folder / "f05.txt").read_bytes().upper()  # same size, other content
    server.content["f05.txt"] = older
    server.script = {"f05.txt": ["500"]}
    report = upload(mode, server.url, folder, concurrency=2)

    assert report.ok
    assert server.content["f05.txt"] == (folder / "f05.txt").read_bytes()
    assert server.sent["f05.txt"] == 2


@MODES
@pytest.mark.parametrize(
    ("etag", "says"),
    [
        ("multipart", "whose ETag '\"[0-9a-f]{32}-2\"' is no MD5"),
        ("none", "whose ETag None is no MD5"),
        ("fail", r"listing the datasource's content failed \(.*500"),
    ],
)
def test_when_the_listing_cannot_tell_the_report_says_so(
    mode: str, etag: str, says: str, server: FaultServer, folder: Path
) -> None:
    server.etag = etag
    server.script = {"f01.txt": ["store+reset"]}
    report = upload(mode, server.url, folder, concurrency=2, max_retries=0)

    ((path, error),) = report.failed
    assert path == folder / "f01.txt"
    assert isinstance(error, UploadUndecidedError)
    assert error.listed is None if etag == "fail" else error.listed.path == "f01.txt"
    message = str(error)
    assert message.startswith("f01.txt: sent in full, but the answer was lost")
    assert "It was not sent again" in message
    assert re.search(says, message), message
    assert server.sent["f01.txt"] == 1  # not sent again: it may be stored
    assert len(report.uploaded) == 11
    assert "1 failed" in report.summary()


@MODES
def test_a_client_error_is_final(mode: str, server: FaultServer, folder: Path) -> None:
    server.script = {"f01.txt": ["400"]}
    report = upload(mode, server.url, folder, concurrency=2)

    ((path, error),) = report.failed
    assert path == folder / "f01.txt"
    assert isinstance(error, BadRequestError)
    assert server.sent["f01.txt"] == 1
    assert server.listings == []
