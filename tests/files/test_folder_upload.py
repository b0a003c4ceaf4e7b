"""Folder uploads and upload progress, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import parse_qs

import anyio
import pytest
from wire import LoopbackHandler, LoopbackServer, parse_multipart

from meibel import AsyncMeibelClient, InternalServerError, MeibelClient, UploadReport, _multipart
from meibel._folder_upload import SkippedFile
from meibel._folder_walk import _matches, _segments
from meibel._multipart import MultipartBody, upload_progress
from meibel.models import TriggerIngestResponse, UploadContentResponse

DATASOURCE = "ds1"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


BIG = 600_000  # more than two 256 KiB chunks


class UploadServer(LoopbackServer):
    """Answers each upload as the API does, one file per request, after `delay` seconds.

    Records every file received (filename -> bytes), counts the requests in flight, answers 500
    to the files named in `fail`, and answers trigger-ingest with `ingest_status`. Lists what it
    stored (listContent, `prefix=`), as the folder upload asks after a 5xx.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.fail: set[str] = set()
        self.ingest_status = 200
        self.received: dict[str, bytes] = {}
        self.paths: list[str] = []
        self.listings: list[str] = []  # the prefix of each listContent call
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()
        server = self

        class Handler(LoopbackHandler):
            def do_POST(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.peak = max(server.peak, server.in_flight)
                try:
                    status, answer = server._answer(self)
                finally:
                    with server._lock:
                        server.in_flight -= 1
                body = json.dumps(answer).encode()
                self.send_whole(status, {"Content-Type": "application/json"}, body)

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                assert path == f"/v2/datasources/{DATASOURCE}/content", path
                prefix = parse_qs(query).get("prefix", [""])[0]
                with server._lock:
                    server.listings.append(prefix)
                    items = [
                        {"name": name, "path": name, "size": len(data), "etag": md5(data)}
                        for name, data in server.received.items()
                        if name.startswith(prefix)
                    ]
                body = json.dumps({"items": items, "continuation_token": None}).encode()
                self.send_whole(200, {"Content-Type": "application/json"}, body)

        super().__init__(Handler, name="UploadServer", poll_interval=0.02)

    def _answer(self, handler: LoopbackHandler) -> tuple[int, dict[str, Any]]:
        body = handler.read_body()
        with self._lock:
            self.paths.append(handler.path)
        time.sleep(self.delay)
        if handler.path.endswith("/trigger-ingest"):
            if self.ingest_status != 200:
                return self.ingest_status, {"detail": "ingest is down"}
            return 200, {"message": "Ingest started", "datasource_id": DATASOURCE}
        (part,) = parse_multipart(handler.headers["Content-Type"], body)
        assert part.field == "files"
        assert part.filename is not None
        if part.filename in self.fail:
            return 500, {"detail": f"could not store {part.filename}"}
        with self._lock:
            assert part.filename not in self.received, f"{part.filename} uploaded twice"
            self.received[part.filename] = part.data
        return 200, {
            "success": True,
            "message": "Uploading 1 file(s)",
            "datasource_id": DATASOURCE,
            "upload_id": f"up-{part.filename}",
            "sse_url": f"/v2/datasources/uploads/up-{part.filename}/progress",
        }

    @property
    def url(self) -> str:
        return f"{super().url}/v2"

    def __enter__(self) -> UploadServer:
        super().__enter__()
        return self


@pytest.fixture
def server() -> Iterator[UploadServer]:
    with UploadServer() as running:
        yield running


@pytest.fixture
def folder(tmp_path: Path) -> dict[str, bytes]:
    """tmp_path/docs: 51 files to upload (one in a subfolder, one empty, one of 600 KB), and two
    hidden ones. Returns the files to upload, by name relative to the folder."""
    rng = random.Random(13)
    root = tmp_path / "docs"
    files = {f"f{i:02}.txt": rng.randbytes(rng.randrange(1, 5000)) for i in range(49)}
    files["f00.txt"] = b""
    files["big.bin"] = rng.randbytes(BIG)
    files["sub/nested.md"] = b"# nested\n"
    hidden = {".env": b"SECRET=1", ".git/config": b"[core]"}
    for name, data in {**files, **hidden}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def upload_folder(mode: str, url: str, folder: Path, **options: Any) -> UploadReport:
    """`upload_folder` on MeibelClient ("sync") or AsyncMeibelClient ("async")."""
    if mode == "sync":
        with MeibelClient(api_key="k", base_url=url) as client:
            return client.file_upload.upload_folder(DATASOURCE, folder, **options)

    async def main() -> UploadReport:
        async with AsyncMeibelClient(api_key="k", base_url=url) as client:
            return await client.file_upload.upload_folder(DATASOURCE, folder, **options)

    return anyio.run(main)


MODES = pytest.mark.parametrize("mode", ["sync", "async"])
Call = tuple[int, int | None, str | None]


@MODES
def test_every_file_arrives_intact_with_progress(
    mode: str, server: UploadServer, folder: dict[str, bytes], tmp_path: Path
) -> None:
    calls: list[Call] = []
    report = upload_folder(
        mode,
        server.url,
        tmp_path / "docs",
        on_progress=lambda *call: calls.append(call),
    )

    assert server.received == folder  # every byte of every file, named relative to the folder
    assert server.paths == [f"/v2/datasources/{DATASOURCE}/content"] * 51
    root = tmp_path / "docs"
    assert [path for path, _ in report.uploaded] == sorted(root / name for name in folder)
    for path, response in report.uploaded:
        assert isinstance(response, UploadContentResponse)
        assert response.upload_id == f"up-{path.relative_to(root).as_posix()}"
    assert report.skipped == (
        SkippedFile(root / ".env", "hidden"),
        SkippedFile(root / ".git", "hidden directory"),
    )
    assert report.failed == ()
    assert report.ok
    assert report.ingest is None
    assert repr(report) == "<UploadReport uploaded=51 skipped=2 failed=0>"

    total = sum(map(len, folder.values()))
    assert calls[0] == (0, total, None)  # the total is known before the first byte
    assert calls[-1][0] == total
    assert all(call_total == total for _, call_total, _ in calls)
    dones = [done for done, _, _ in calls]
    assert dones == sorted(dones)
    assert {name for _, _, name in calls[1:]} == set(folder) - {"f00.txt"}  # empty: no bytes
    # The big file reports chunk by chunk: at least three calls.
    assert sum(name == "big.bin" for _, _, name in calls) >= 3


@MODES
def test_concurrency_is_bounded(
    mode: str, folder: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handles: list[IO[bytes]] = []
    most_open = 0

    def tracking_open(*args: Any, **kwargs: Any) -> IO[bytes]:
        nonlocal most_open
        handle = cast("IO[bytes]", open(*args, **kwargs))  # noqa: SIM115
        handles.append(handle)
        most_open = max(most_open, sum(not h.closed for h in handles))
        return handle

    monkeypatch.setattr(_multipart, "open", tracking_open, raising=False)
    with UploadServer(delay=0.02) as server:
        report = upload_folder(mode, server.url, tmp_path / "docs", concurrency=3)
    assert len(report.uploaded) == 51
    assert server.peak == 3  # as many as asked, never more
    assert len(handles) == 51
    assert most_open <= 3
    assert all(handle.closed for handle in handles)


@MODES
def test_one_failure_leaves_the_others_uploaded(
    mode: str, server: UploadServer, folder: dict[str, bytes], tmp_path: Path
) -> None:
    server.fail = {"f07.txt", "sub/nested.md"}
    report = upload_folder(mode, server.url, tmp_path / "docs", concurrency=4)

    root = tmp_path / "docs"
    assert [path for path, _ in report.failed] == [root / "f07.txt", root / "sub" / "nested.md"]
    for _, error in report.failed:
        assert isinstance(error, InternalServerError)
        assert error.status_code == 500
    assert len(report.uploaded) == 49
    assert server.received == {
        name: data for name, data in folder.items() if name not in server.fail
    }
    # After a 500 the server may have stored the file: it is asked (its listing) after each send,
    # and a file that always fails is sent 4 times in all.
    assert len(server.paths) == 49 + 2 * 4
    assert sorted(server.listings) == ["f07.txt"] * 4 + ["sub/nested.md"] * 4
    assert not report.ok


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*.txt", {f"f{i:02}.txt" for i in range(49)}),
        ("**/*.md", {"sub/nested.md"}),
        ("sub/**", {"sub/nested.md"}),
        ("f1?.txt", {f"f1{i}.txt" for i in range(10)}),
        ("[bs]*", {"big.bin"}),  # directories are walked, not matched: sub/nested.md is deeper
        ("**", None),  # everything
    ],
)
def test_pattern(
    pattern: str,
    expected: set[str] | None,
    server: UploadServer,
    folder: dict[str, bytes],
    tmp_path: Path,
) -> None:
    report = upload_folder("sync", server.url, tmp_path / "docs", pattern=pattern)
    assert set(server.received) == (set(folder) if expected is None else expected)
    assert len(report.uploaded) == len(server.received)
    # Hidden files are reported only when they match; a hidden directory always (not entered).
    root = tmp_path / "docs"
    skipped = {path.relative_to(root).as_posix() for path, _ in report.skipped}
    assert skipped == ({".env", ".git"} if expected is None else {".git"})


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**/*", "a", True),
        ("**/*", "a/b/c.txt", True),
        ("**/*.pdf", "q4.pdf", True),
        ("**/*.pdf", "x/y/q4.pdf", True),
        ("*.pdf", "x/q4.pdf", False),
        ("x/**/*.pdf", "x/q4.pdf", True),
        ("x/**/*.pdf", "y/x/q4.pdf", False),
        ("./x/**/**/*.pdf", "x/a/b/q4.pdf", True),
        ("*.PDF", "q4.pdf", False),  # case-sensitive
        ("[!a]*", "b.txt", True),
        ("[!a]*", "a.txt", False),
    ],
)
def test_glob(pattern: str, path: str, matches: bool) -> None:
    assert _matches(_segments(pattern), path.split("/")) is matches


def test_include_hidden(server: UploadServer, folder: dict[str, bytes], tmp_path: Path) -> None:
    report = upload_folder("sync", server.url, tmp_path / "docs", include_hidden=True)
    assert server.received == {**folder, ".env": b"SECRET=1", ".git/config": b"[core]"}
    assert report.skipped == ()


def test_symlinks_and_special_files_are_skipped(server: UploadServer, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"not yours")
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_bytes(b"a")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "linked-dir").symlink_to(outside)
    os.mkfifo(root / "pipe")

    report = upload_folder("sync", server.url, root)
    assert server.received == {"a.txt": b"a"}
    assert report.skipped == (
        SkippedFile(root / "link.txt", "symlink"),
        SkippedFile(root / "linked-dir", "symlink"),
        SkippedFile(root / "pipe", "not a regular file"),
    )


@MODES
def test_an_unreadable_directory_is_a_failure(
    mode: str,
    server: UploadServer,
    folder: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scandir = os.scandir
    unreadable = tmp_path / "docs" / "sub"

    def failing_scandir(path: Any) -> Any:
        if Path(path) == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", failing_scandir)
    report = upload_folder(mode, server.url, tmp_path / "docs")
    ((path, error),) = report.failed
    assert path == unreadable
    assert isinstance(error, PermissionError)
    assert set(server.received) == set(folder) - {"sub/nested.md"}


@MODES
def test_trigger_ingest_after_the_uploads(
    mode: str, server: UploadServer, folder: dict[str, bytes], tmp_path: Path
) -> None:
    report = upload_folder(mode, server.url, tmp_path / "docs", trigger_ingest=True)
    assert len(report.uploaded) == 51
    assert server.paths[-1] == f"/v2/datasources/{DATASOURCE}/trigger-ingest"
    assert server.paths.count(server.paths[-1]) == 1
    assert isinstance(report.ingest, TriggerIngestResponse)
    assert report.ingest.message == "Ingest started"
    assert report.ok


def test_trigger_ingest_failure_is_recorded(
    server: UploadServer, folder: dict[str, bytes], tmp_path: Path
) -> None:
    server.ingest_status = 500
    report = upload_folder("sync", server.url, tmp_path / "docs", trigger_ingest=True)
    assert len(report.uploaded) == 51
    assert report.ingest is None
    assert isinstance(report.ingest_error, InternalServerError)
    assert not report.ok


def test_no_ingest_when_nothing_was_uploaded(server: UploadServer, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    calls: list[Call] = []
    report = upload_folder(
        "sync",
        server.url,
        tmp_path / "empty",
        trigger_ingest=True,
        on_progress=lambda *call: calls.append(call),
    )
    assert report == UploadReport((), (), ())
    assert server.paths == []
    assert calls == [(0, 0, None)]


def test_bad_arguments_raise_before_any_request(server: UploadServer, tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_bytes(b"x")
    with pytest.raises(FileNotFoundError):
        upload_folder("sync", server.url, tmp_path / "missing")
    with pytest.raises(NotADirectoryError):
        upload_folder("sync", server.url, tmp_path / "file.txt")
    with pytest.raises(ValueError, match="concurrency"):
        upload_folder("sync", server.url, tmp_path, concurrency=0)
    with pytest.raises(ValueError, match="pattern"):
        upload_folder("sync", server.url, tmp_path, pattern="../*")
    assert server.paths == []


@MODES
def test_single_upload_progress(mode: str, server: UploadServer, tmp_path: Path) -> None:
    data = random.Random(5).randbytes(BIG)
    (tmp_path / "big.bin").write_bytes(data)
    calls: list[Call] = []

    def record(*call: Any) -> None:
        calls.append(call)

    if mode == "sync":
        with MeibelClient(api_key="k", base_url=server.url) as client:
            response = client.file_upload.upload_file(
                DATASOURCE, tmp_path / "big.bin", on_progress=record
            )
            client.file_upload.upload_file(DATASOURCE, ("notes.txt", b"hello"), on_progress=record)
    else:

        async def main() -> UploadContentResponse:
            async with AsyncMeibelClient(api_key="k", base_url=server.url) as client:
                response = await client.file_upload.upload_file(
                    DATASOURCE, tmp_path / "big.bin", on_progress=record
                )
                await client.file_upload.upload_file(
                    DATASOURCE, ("notes.txt", b"hello"), on_progress=record
                )
                return response

        response = anyio.run(main)
    assert response.upload_id == "up-big.bin"
    assert server.received == {"big.bin": data, "notes.txt": b"hello"}
    chunk = 256 * 1024
    assert calls == [
        (chunk, BIG, "big.bin"),
        (2 * chunk, BIG, "big.bin"),
        (BIG, BIG, "big.bin"),
        (5, 5, "notes.txt"),
    ]


class Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_multipart_body_progress(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"x" * 10)
    (tmp_path / "empty.bin").write_bytes(b"")
    calls: list[Call] = []
    files: list[tuple[str, Any]] = [
        ("files", tmp_path / "a.bin"),
        ("files", ("b.txt", b"12345")),
        ("files", ("c.txt", b"")),
        ("files", tmp_path / "empty.bin"),
    ]
    body = MultipartBody(
        [("field", "not counted")], files, chunk_size=4, on_progress=lambda *c: calls.append(c)
    )
    assert body.file_bytes == 15
    sent = b"".join(body)
    expected = [(4, 15, "a.bin"), (8, 15, "a.bin"), (10, 15, "a.bin"), (15, 15, "b.txt")]
    expected += [(15, 15, "c.txt"), (15, 15, "empty.bin")]
    assert calls == expected
    # Sent again (a retry): counted from 0 again.
    calls.clear()
    assert b"".join(body) == sent
    assert calls == expected

    # Built inside upload_progress: the callback comes from there. A size unknown: total None.
    calls.clear()
    with upload_progress(lambda *c: calls.append(c)):
        piped = MultipartBody([], [("files", ("pipe.bin", Unseekable(b"abc")))])
    assert MultipartBody([], [("files", ("x", b"y"))]).on_progress is None  # outside: none
    assert piped.file_bytes is None
    b"".join(piped)
    assert calls == [(3, None, "pipe.bin")]


@pytest.mark.anyio
async def test_multipart_body_progress_async(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"x" * 10)
    calls: list[Call] = []
    body = MultipartBody(
        [], [("files", tmp_path / "a.bin")], chunk_size=4, on_progress=lambda *c: calls.append(c)
    )
    async for _ in body:
        pass
    assert calls == [(4, 10, "a.bin"), (8, 10, "a.bin"), (10, 10, "a.bin")]
