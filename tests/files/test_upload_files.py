"""upload_files(datasource_id, files): any iterable of paths, fsspec URLs and (name, file) pairs.

Against FakeMeibel over HTTP on 127.0.0.1: what the server stored is `fake.uploads`, so each test
checks what arrived, not only what the report claims.
"""

from __future__ import annotations

import _thread
import collections
import io
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath
from typing import Any

import anyio
import fsspec
import pytest
from journal_lines import stored_records

from meibel import AsyncMeibelClient, MeibelClient, UploadInterrupted, UploadReport
from meibel._download import ProgressCallback
from meibel._folder_walk import _WALK_BATCH
from meibel._journal import ALREADY_UPLOADED
from meibel.testing import FakeMeibel

DATASOURCE = "ds_files"


@pytest.fixture
def served() -> Iterator[tuple[FakeMeibel, str]]:
    fake = FakeMeibel()
    fake.seed("datasources", DATASOURCE, name="Files")
    with fake.serve() as base_url:
        yield fake, base_url


@pytest.fixture
def memory() -> Iterator[fsspec.AbstractFileSystem]:
    """fsspec's in-memory filesystem, emptied after the test (its store is process-wide)."""
    fs = fsspec.filesystem("memory")
    yield fs
    if fs.exists("/files"):
        fs.rm("/files", recursive=True)


def upload_files(mode: str, base_url: str, files: Any, **options: Any) -> UploadReport:
    """`upload_files` on MeibelClient ("sync") or AsyncMeibelClient ("async")."""
    if mode == "sync":
        with MeibelClient(api_key="k", base_url=base_url, max_retries=0) as client:
            return client.file_upload.upload_files(DATASOURCE, files, **options)

    async def main() -> UploadReport:
        async with AsyncMeibelClient(api_key="k", base_url=base_url, max_retries=0) as client:
            return await client.file_upload.upload_files(DATASOURCE, files, **options)

    return anyio.run(main)


def stored(fake: FakeMeibel) -> dict[str, list[tuple[bytes, str | None]]]:
    """Every copy of each file the fake holds: (content, content type), by name."""
    copies: dict[str, list[tuple[bytes, str | None]]] = collections.defaultdict(list)
    for upload in fake.uploads:
        for part in upload.files:
            assert part.filename is not None
            copies[part.filename].append((part.data, part.content_type))
    return dict(copies)


def test_every_kind_of_item_arrives_under_its_name(
    mode: str, served: tuple[FakeMeibel, str], tmp_path: Path, memory: Any
) -> None:
    fake, base_url = served
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.md").write_bytes(b"# notes\n")
    (tmp_path / "raw.dat").write_bytes(b"\x00\x01")
    memory.pipe("/files/remote.csv", b"a,b\n1,2\n")
    stream = io.BytesIO(b"skip:from here")
    stream.seek(5)  # read from where it is, as upload_content reads it
    calls: list[tuple[int, int | None, str | None]] = []

    report = upload_files(
        mode,
        base_url,
        iter(
            [
                tmp_path / "sub" / "notes.md",  # a path: its own name
                str(tmp_path / "raw.dat"),
                ("renamed/raw.dat", tmp_path / "raw.dat", "application/x-raw"),
                ("inline.txt", b"inline bytes"),
                ("stream.txt", stream),
                "memory://files/remote.csv",  # a URL: its own name
                ("remote-renamed.csv", "memory://files/remote.csv"),
            ]
        ),
        on_progress=lambda *call: calls.append(call),
    )

    assert report.ok, report.failed
    assert stored(fake) == {
        "notes.md": [(b"# notes\n", "text/markdown")],
        "raw.dat": [(b"\x00\x01", "application/octet-stream")],
        "renamed/raw.dat": [(b"\x00\x01", "application/x-raw")],
        "inline.txt": [(b"inline bytes", "text/plain")],
        "stream.txt": [(b"from here", "text/plain")],
        "remote.csv": [(b"a,b\n1,2\n", "text/csv")],
        "remote-renamed.csv": [(b"a,b\n1,2\n", "text/csv")],
    }
    # Reported as the local Path when given one, else a PurePath of the name (or remote path).
    assert [path for path, _ in report.uploaded] == sorted(
        [
            tmp_path / "sub" / "notes.md",
            tmp_path / "raw.dat",
            PurePath("renamed/raw.dat"),
            PurePath("inline.txt"),
            PurePath("stream.txt"),
            PurePath("/files/remote.csv"),
            PurePath("remote-renamed.csv"),
        ]
    )
    local = {path for path, _ in report.uploaded if isinstance(path, Path)}
    assert local == {tmp_path / "sub" / "notes.md", tmp_path / "raw.dat"}
    assert calls[0] == (0, None, None)  # the total is not known: the iterable is not listed
    assert calls[-1][0] == sum(len(data) for [(data, _)] in stored(fake).values())


def test_the_iterable_is_taken_as_the_upload_goes(
    mode: str, served: tuple[FakeMeibel, str]
) -> None:
    fake, base_url = served
    count, concurrency = 400, 4
    ahead = 0

    def files() -> Iterator[tuple[str, bytes]]:
        nonlocal ahead
        for index in range(count):
            # Items taken but not yet stored: bounded, however long the iterable is.
            ahead = max(ahead, index - len(fake.uploads))
            yield f"doc{index:04}.txt", b"x" * index

    report = upload_files(mode, base_url, files(), concurrency=concurrency)

    assert len(report.uploaded) == count == len(stored(fake))
    # The sync walk waits for a free slot; the async one reads a batch per worker-thread hop.
    assert ahead <= concurrency + 1 + (_WALK_BATCH if mode == "async" else 0)


def test_a_name_used_twice_fails_that_item_only(served: tuple[FakeMeibel, str]) -> None:
    fake, base_url = served
    report = upload_files(
        "sync", base_url, [("a.txt", b"first"), ("a.txt", b"second"), ("b.txt", b"other")]
    )
    assert stored(fake) == {
        "a.txt": [(b"first", "text/plain")],
        "b.txt": [(b"other", "text/plain")],
    }
    ((path, error),) = report.failed
    assert path == PurePath("a.txt")
    assert isinstance(error, ValueError)
    assert "'a.txt' is already in this upload" in str(error)


def test_what_cannot_be_uploaded_fails_or_is_skipped_alone(
    served: tuple[FakeMeibel, str], tmp_path: Path
) -> None:
    fake, base_url = served
    (tmp_path / "folder").mkdir()
    (tmp_path / "ok.txt").write_bytes(b"ok")
    text = io.StringIO("text")
    items = [
        tmp_path / "missing.txt",
        tmp_path / "folder",
        42,
        b"bytes without a name",
        ("text.txt", text),
        ("", b"no name"),
        tmp_path / "ok.txt",
    ]

    report = upload_files("sync", base_url, items)

    assert stored(fake) == {"ok.txt": [(b"ok", "text/plain")]}
    assert report.skipped == ((tmp_path / "folder", "directory"),)
    failed = {str(path): type(error) for path, error in report.failed}
    assert failed == {
        str(tmp_path / "missing.txt"): FileNotFoundError,
        "files[2]": TypeError,
        "files[3]": TypeError,
        "text.txt": TypeError,
        "files[5]": ValueError,
    }


def test_one_file_or_a_string_is_refused_before_anything_is_sent(
    served: tuple[FakeMeibel, str],
) -> None:
    fake, base_url = served
    for wrong in ("reports/q4.pdf", ("q4.pdf", b"%PDF"), b"%PDF"):
        with pytest.raises(TypeError, match="iterable of files"):
            upload_files("sync", base_url, wrong)
    assert fake.uploads == []


def test_a_journal_skips_what_every_kind_of_item_stored(
    mode: str, served: tuple[FakeMeibel, str], tmp_path: Path, memory: Any
) -> None:
    fake, base_url = served
    (tmp_path / "local.txt").write_bytes(b"local")
    memory.pipe("/files/remote.txt", b"remote")
    journal = tmp_path / "upload.jsonl"

    def items(inline: bytes) -> list[Any]:
        return [
            tmp_path / "local.txt",
            ("pair.txt", tmp_path / "local.txt"),
            ("inline.txt", inline),
            ("stream.txt", io.BytesIO(b"stream")),
            "memory://files/remote.txt",
        ]

    first = upload_files(mode, base_url, items(b"inline"), journal=journal)
    assert len(first.uploaded) == 5
    records = {record["name"]: record for record in stored_records(journal)}
    assert records["inline.txt"]["mtime_ns"] is None  # bytes have no mtime: the hash decides
    assert records["remote.txt"]["mtime_ns"] is not None  # fsspec's listing gives one

    again = upload_files(mode, base_url, items(b"inline"), journal=journal)
    assert again.uploaded == ()
    assert [reason for _, reason in again.skipped] == [ALREADY_UPLOADED] * 5

    # The same size, another content: no mtime to trust, so the hash tells them apart.
    changed = upload_files(mode, base_url, items(b"INLINE"), journal=journal)
    assert [path for path, _ in changed.uploaded] == [PurePath("inline.txt")]
    assert [data for data, _ in stored(fake)["inline.txt"]] == [b"inline", b"INLINE"]
    assert all(len(copies) == 1 for name, copies in stored(fake).items() if name != "inline.txt")


def test_a_journal_refuses_a_stream_it_cannot_read_again(
    served: tuple[FakeMeibel, str], tmp_path: Path
) -> None:
    fake, base_url = served
    reader, writer = os.pipe()
    os.write(writer, b"piped")
    os.close(writer)
    with open(reader, "rb") as pipe:
        plain = upload_files("sync", base_url, [("piped.txt", pipe)])
    assert plain.ok  # without a journal a pipe is sent as it is read
    reader, writer = os.pipe()
    os.close(writer)
    with open(reader, "rb") as pipe:
        journaled = upload_files(
            "sync", base_url, [("piped2.txt", pipe)], journal=tmp_path / "j.jsonl"
        )
    ((path, error),) = journaled.failed
    assert path == PurePath("piped2.txt")
    assert "cannot seek" in str(error)
    assert set(stored(fake)) == {"piped.txt"}


def test_an_interrupted_upload_lists_the_rest_of_the_iterable(
    mode: str, served: tuple[FakeMeibel, str], request: pytest.FixtureRequest
) -> None:
    """Ctrl-C (sync) or a cancelled scope (async) after the first bytes: every item is in the
    report once, what was never started included, read from the rest of the iterable."""
    _, base_url = served
    names = [f"doc{index:03}.txt" for index in range(150)]
    files = ((name, name.encode() * 100) for name in names)

    def interrupt(cut: Callable[[], None]) -> ProgressCallback:
        cuts = [cut]

        def progress(done: int, total: int | None, name: str | None) -> None:
            if done and cuts:
                cuts.pop()()  # once: a second Ctrl-C would cut the listing short

        return progress

    if mode == "sync":
        # interrupt_main() does nothing while SIGINT is ignored, as it is for tests started in
        # the background by a shell without job control: handle it as a terminal would.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
        cut = interrupt(_thread.interrupt_main)  # a Ctrl-C in the main thread
        client = MeibelClient(api_key="k", base_url=base_url)
        with client, pytest.raises(UploadInterrupted) as raised:
            client.file_upload.upload_files(DATASOURCE, files, concurrency=2, on_progress=cut)
        report = raised.value.report
    else:

        async def main() -> UploadReport:
            async with AsyncMeibelClient(api_key="k", base_url=base_url) as client:
                with anyio.CancelScope() as scope:
                    try:
                        await client.file_upload.upload_files(
                            DATASOURCE, files, concurrency=2, on_progress=interrupt(scope.cancel)
                        )
                    except anyio.get_cancelled_exc_class() as cancelled:
                        found = UploadInterrupted.find(cancelled)
                        assert found is not None
                        return found.report
            raise AssertionError("not cancelled")

        report = anyio.run(main)

    listed = [
        *(path for path, _ in (*report.uploaded, *report.failed, *report.in_flight)),
        *report.not_started,
    ]
    assert sorted(path.as_posix() for path in listed) == names  # each once
    assert len(report.not_started) > 100
