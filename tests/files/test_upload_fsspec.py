"""upload_folder(datasource_id, "memory://...") and other fsspec URLs: walked and read by fsspec.

fsspec's memory filesystem stands for S3, GCS and the rest (the same AbstractFileSystem calls),
served to FakeMeibel over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import collections
import hashlib
import json
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any

import anyio
import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from journal_lines import stored_records
from wire import LoopbackHandler, LoopbackServer

from meibel import AsyncMeibelClient, MeibelClient, UploadReport
from meibel.testing import FakeMeibel

DATASOURCE = "ds_remote"
TREE = {
    "q1.pdf": b"%PDF q1",
    "q2.pdf": b"%PDF q2, longer",
    "notes/summary.md": b"# summary\n",
    "notes/deep/more.md": b"# more\n",
    ".DS_Store": b"junk",
    ".git/config": b"[core]",
}


@pytest.fixture
def memory() -> Iterator[MemoryFileSystem]:
    """fsspec's in-memory filesystem, emptied after the test (its store is process-wide)."""
    fs = fsspec.filesystem("memory")
    yield fs
    for top in ("/corpus", "/big"):
        if fs.exists(top):
            fs.rm(top, recursive=True)


@pytest.fixture
def fake() -> FakeMeibel:
    fake = FakeMeibel()
    fake.seed("datasources", DATASOURCE, name="Remote")
    return fake


def upload_folder(mode: str, base_url: str, folder: str | Path, **options: Any) -> UploadReport:
    if mode == "sync":
        with MeibelClient(api_key="k", base_url=base_url, max_retries=0) as client:
            return client.file_upload.upload_folder(DATASOURCE, folder, **options)

    async def main() -> UploadReport:
        async with AsyncMeibelClient(api_key="k", base_url=base_url, max_retries=0) as client:
            return await client.file_upload.upload_folder(DATASOURCE, folder, **options)

    return anyio.run(main)


def received(fake: FakeMeibel) -> dict[str, bytes]:
    files = [part for upload in fake.uploads for part in upload.files]
    assert len({part.filename for part in files}) == len(files), "a file was sent twice"
    return {str(part.filename): part.data for part in files}


def test_a_remote_folder_uploads_as_a_local_one_does(
    mode: str, memory: MemoryFileSystem, fake: FakeMeibel, tmp_path: Path
) -> None:
    for name, data in TREE.items():
        memory.pipe(f"/corpus/{name}", data)
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    calls: list[tuple[int, int | None, str | None]] = []

    with fake.serve() as base_url:
        remote = upload_folder(
            mode, base_url, "memory://corpus", on_progress=lambda *call: calls.append(call)
        )
        remote_names = received(fake)
        fake.uploads.clear()
        local = upload_folder(mode, base_url, tmp_path)
        assert received(fake) == remote_names  # the same files, under the same names
        pdfs = upload_folder(mode, base_url, "memory://corpus", pattern="**/*.pdf")

    assert remote_names == {name: data for name, data in TREE.items() if not name.startswith(".")}
    assert remote.ok
    # Reported by the file's path on its filesystem; skipped for the same reasons, in order.
    assert [path for path, _ in remote.uploaded] == sorted(
        PurePath("/corpus", name) for name in remote_names
    )
    assert [(p.relative_to("/corpus"), r) for p, r in remote.skipped] == [
        (p.relative_to(tmp_path), r) for p, r in local.skipped
    ]
    total = sum(map(len, remote_names.values()))
    assert calls[0] == (0, total, None)  # measured by a first walk, as for a local folder
    assert calls[-1][0] == total
    assert [path.name for path, _ in pdfs.uploaded] == ["q1.pdf", "q2.pdf"]


def test_a_missing_folder_or_a_file_raises_before_anything_is_sent(
    memory: MemoryFileSystem, fake: FakeMeibel
) -> None:
    memory.pipe("/corpus/only.txt", b"x")
    with fake.serve() as base_url:
        with pytest.raises(FileNotFoundError, match="memory:///corpus/nothing"):
            upload_folder("sync", base_url, "memory://corpus/nothing")
        with pytest.raises(NotADirectoryError, match="not a folder"):
            upload_folder("sync", base_url, "memory://corpus/only.txt")
    assert fake.uploads == []


def test_a_rerun_with_a_journal_reads_nothing_again(
    mode: str,
    memory: MemoryFileSystem,
    fake: FakeMeibel,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, data in TREE.items():
        memory.pipe(f"/corpus/{name}", data)
    opened: collections.Counter[str] = collections.Counter()
    real_open = MemoryFileSystem._open

    def counting_open(self: MemoryFileSystem, path: str, *args: Any, **kwargs: Any) -> Any:
        opened[path] += 1
        return real_open(self, path, *args, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "_open", counting_open)
    journal = tmp_path / "remote.jsonl"
    with fake.serve() as base_url:
        first = upload_folder(mode, base_url, "memory://corpus", journal=journal)
        assert len(first.uploaded) == 4
        # Each file read once: hashed for the journal as it was sent, not read a second time.
        assert set(opened.values()) == {1}
        records = stored_records(journal)
        assert len(records) == 4
        for record in records:
            assert record["sha256"] == hashlib.sha256(TREE[record["name"]]).hexdigest()
        opened.clear()

        again = upload_folder(mode, base_url, "memory://corpus", journal=journal)
        assert again.uploaded == ()
        assert opened == {}  # same size and mtime: skipped without reading

        memory.pipe("/corpus/q1.pdf", b"%PDF Q1")  # rewritten: a new mtime, the same size
        memory.pipe("/corpus/q2.pdf", b"%PDF q2, LONGER")  # ...and another content
        third = upload_folder(mode, base_url, "memory://corpus", journal=journal)
    assert [path.name for path, _ in third.uploaded] == ["q1.pdf", "q2.pdf"]
    latest = {part.filename: part.data for upload in fake.uploads[-2:] for part in upload.files}
    assert latest == {"q1.pdf": b"%PDF Q1", "q2.pdf": b"%PDF q2, LONGER"}


class Sink(LoopbackServer):
    """Answers uploadContent as the API does, reading each body in 1 MiB pieces and dropping
    them; `sizes` are the bodies' sizes."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        sink = self

        class Handler(LoopbackHandler):
            def do_POST(self) -> None:
                sink.sizes.append(int(self.headers["Content-Length"]))
                self.read_body(keep=False)
                answer = {
                    "success": True,
                    "message": "ok",
                    "datasource_id": DATASOURCE,
                    "upload_id": "up",
                    "sse_url": "/v2/datasources/uploads/up/progress",
                }
                body = json.dumps(answer).encode()
                self.send_whole(200, {"Content-Type": "application/json"}, body)

        super().__init__(Handler, name="Sink")


def test_a_big_remote_file_streams_in_bounded_memory(
    memory: MemoryFileSystem, tmp_path: Path
) -> None:
    size = 200 * 1024 * 1024
    with memory.open("/big/corpus.bin", "wb") as file:
        for index in range(200):
            file.write(bytes([index]) * (1024 * 1024))

    tracemalloc.start()
    try:
        with Sink() as sink, MeibelClient(api_key="k", base_url=sink.url + "/v2") as client:
            base = tracemalloc.get_traced_memory()[0]
            report = client.file_upload.upload_folder(
                DATASOURCE, "memory://big", journal=tmp_path / "big.jsonl"
            )
            peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()

    assert report.ok
    assert sink.sizes[0] > size  # the whole file, in one multipart body
    assert peak < 16 * 1024 * 1024, f"{peak:,} bytes held at once"
    (record,) = stored_records(tmp_path / "big.jsonl")
    digest = hashlib.sha256()
    for index in range(200):
        digest.update(bytes([index]) * (1024 * 1024))
    assert record["sha256"] == digest.hexdigest()


def test_without_fsspec_a_url_names_the_extra(
    fake: FakeMeibel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with fake.client() as client:
        with pytest.raises(ImportError, match=r'pip install "meibel-sdk\[fsspec\]"'):
            client.file_upload.upload_folder(DATASOURCE, "s3://bucket/reports")
        report = client.file_upload.upload_files(DATASOURCE, ["gs://bucket/q4.pdf"])
    ((_, error),) = report.failed
    assert isinstance(error, ImportError)
    assert "meibel-sdk[fsspec]" in str(error)
    assert fake.uploads == []


def test_a_local_upload_never_imports_fsspec(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("a")
    script = textwrap.dedent(
        """
        import sys
        from meibel.testing import FakeMeibel

        fake = FakeMeibel()
        fake.seed("datasources", "ds", name="Local")
        with fake.client() as client:
            client.file_upload.upload_folder("ds", sys.argv[1], journal=sys.argv[2])
            client.file_upload.upload_files("ds", [("b.txt", b"b")])
        assert len(fake.uploads) == 2
        print(sorted(name for name in sys.modules if name.split(".")[0] in ("fsspec", "dask")))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "docs"), str(tmp_path / "j.jsonl")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "[]"


def test_a_filesystem_of_real_file_handles_with_links(fake: FakeMeibel, tmp_path: Path) -> None:
    """fsspec's `local://` hands out real file handles (not buffers) and lists links."""
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"a" * 300_000)  # more than one 256 KiB chunk
    (folder / "sub" / "b.txt").write_bytes(b"b")
    (folder / "link.txt").symlink_to(folder / "a.txt")
    journal = tmp_path / "local.jsonl"
    with fake.serve() as base_url:
        report = upload_folder("sync", base_url, f"local://{folder}", journal=journal)
        again = upload_folder("sync", base_url, f"local://{folder}", journal=journal)
    assert received(fake) == {"a.txt": b"a" * 300_000, "sub/b.txt": b"b"}
    assert report.skipped == ((PurePath(folder / "link.txt"), "symlink"),)
    sums = {record["name"]: record["sha256"] for record in stored_records(journal)}
    assert sums["a.txt"] == hashlib.sha256(b"a" * 300_000).hexdigest()
    assert again.uploaded == ()
