"""upload_folder(..., journal=PATH): a rerun uploads only what the server does not hold yet.

Against FakeMeibel over HTTP: what the fake stored is `fake.uploads`, so each test counts the
copies of every file the server holds, not what the report claims.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from meibel._cli import main
from meibel._journal import ALREADY_UPLOADED, JournalError
from meibel.testing import FakeMeibel

DATASOURCE = "ds_journal"


def _folder(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    for index in range(count):
        where = folder / "sub" if index % 3 == 0 else folder
        (where / f"doc{index:03}.txt").write_bytes(f"document {index}\n".encode() * 20)
    return folder


def _stored(fake: FakeMeibel) -> collections.Counter[str]:
    """How many copies of each file name the fake holds."""
    return collections.Counter(
        part.filename for upload in fake.uploads for part in upload.files if part.filename
    )


def _fake() -> FakeMeibel:
    fake = FakeMeibel()
    fake.seed("datasources", DATASOURCE, name="Journal")
    return fake


def _upload(fake: FakeMeibel, mode: str, folder: Path, journal: Path):  # type: ignore[no-untyped-def]
    if mode == "sync":
        with fake.client(max_retries=0) as client:
            return client.file_upload.upload_folder(DATASOURCE, folder, journal=journal)

    async def run():  # type: ignore[no-untyped-def]
        async with fake.async_client(max_retries=0) as client:
            return await client.file_upload.upload_folder(DATASOURCE, folder, journal=journal)

    return anyio.run(run)


def test_a_rerun_uploads_only_what_failed_then_only_what_changed(mode: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path, 10)
    journal = tmp_path / "state" / "upload.jsonl"
    fake = _fake()
    fake.fail_next(500, times=3)

    first = _upload(fake, mode, folder, journal)
    assert (len(first.uploaded), len(first.failed)) == (7, 3)

    second = _upload(fake, mode, folder, journal)
    assert len(second.uploaded) == 3
    assert {path for path, _ in second.uploaded} == {path for path, _ in first.failed}
    assert [reason for _, reason in second.skipped] == [ALREADY_UPLOADED] * 7
    stored = _stored(fake)
    assert len(stored) == 10
    assert set(stored.values()) == {1}  # every file once: none lost, none twice

    changed = folder / "doc001.txt"
    changed.write_bytes(b"a new version, of another size\n")
    touched = folder / "doc002.txt"  # the same content, a newer mtime: not sent again
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    third = _upload(fake, mode, folder, journal)
    assert [path for path, _ in third.uploaded] == [changed]
    assert len(third.skipped) == 9
    assert _stored(fake)["doc001.txt"] == 2  # the new version, as a new upload
    assert _stored(fake)["doc002.txt"] == 1


def test_the_journal_holds_one_line_per_stored_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 4)
    journal = tmp_path / "upload.jsonl"
    _upload(_fake(), "sync", folder, journal)
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(record["name"] for record in records) == [
        "doc001.txt",
        "doc002.txt",
        "sub/doc000.txt",
        "sub/doc003.txt",
    ]
    record = next(r for r in records if r["name"] == "doc001.txt")
    assert record["datasource_id"] == DATASOURCE
    assert record["size"] == (folder / "doc001.txt").stat().st_size
    assert len(record["sha256"]) == 64
    assert record["answer"]["success"] is True


def test_a_torn_last_line_is_cut_off_and_its_file_sent_again(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 3)
    journal = tmp_path / "upload.jsonl"
    fake = _fake()
    _upload(fake, "sync", folder, journal)
    lines = journal.read_text().splitlines()
    # The last record cut short, as a kill -9 in the middle of a write would leave it.
    journal.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    lost = json.loads(lines[-1])["name"]

    report = _upload(fake, "sync", folder, journal)

    assert [path.relative_to(folder).as_posix() for path, _ in report.uploaded] == [lost]
    assert len(report.skipped) == 2
    kept = journal.read_text().splitlines()
    assert [json.loads(line)["name"] for line in kept] == [json.loads(x)["name"] for x in lines]
    assert _upload(fake, "sync", folder, journal).uploaded == ()


def test_a_corrupt_journal_is_refused_naming_the_line(tmp_path: Path) -> None:
    journal = tmp_path / "upload.jsonl"
    journal.write_text('{"v": 1}\nnot json\n')
    fake = _fake()
    with fake.client() as client, pytest.raises(JournalError, match=r"upload\.jsonl:1: "):
        client.file_upload.upload_folder(DATASOURCE, _folder(tmp_path, 1), journal=journal)
    assert fake.uploads == []


def test_records_of_another_datasource_do_not_count(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 2)
    journal = tmp_path / "upload.jsonl"
    fake = _fake()
    _upload(fake, "sync", folder, journal)
    fake.seed("datasources", "ds_other", name="Other")
    with fake.client() as client:
        report = client.file_upload.upload_folder("ds_other", folder, journal=journal)
    assert len(report.uploaded) == 2


KILLED_RUN = """
import os, signal, sys
from meibel import MeibelClient

base_url, folder, journal, half = sys.argv[1:5]

def progress(done, total, name):
    if done >= int(half):
        os.kill(os.getpid(), signal.SIGKILL)

with MeibelClient(api_key="k", base_url=base_url, max_retries=0) as client:
    client.file_upload.upload_folder(
        "ds_journal", folder, journal=journal, concurrency=4, on_progress=progress
    )
"""


def test_a_run_killed_halfway_resumes_from_its_journal(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 200)
    journal = tmp_path / "upload.jsonl"
    total = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    fake = _fake()
    with fake.serve() as base_url:
        killed = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(KILLED_RUN), base_url, str(folder),
             str(journal), str(total // 2)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        before = sum(_stored(fake).values())
        recorded = len(journal.read_text().splitlines())
        assert 0 < recorded <= before < 200

        with fake.client(max_retries=0) as client:
            report = client.file_upload.upload_folder(DATASOURCE, folder, journal=journal)

    stored = _stored(fake)
    assert len(stored) == 200  # every file is on the server
    assert len(report.uploaded) == 200 - len(report.skipped)
    # Stored twice: at most what was in flight, unrecorded, when the process died.
    assert sum(stored.values()) - 200 == before - len(report.skipped) <= 4


def test_the_command_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = _folder(tmp_path, 3)
    line = ["--fake", "upload", str(folder), "--datasource", "ds_demo", "--resume"]
    assert main(line) == 0
    assert main(line) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].endswith("to ds_demo, skipped 3"), out
    (journal,) = (tmp_path / "state" / "meibel" / "uploads").glob("ds_demo-*.jsonl")
    assert len(journal.read_text().splitlines()) == 3
    journal.write_text("garbage\n")
    assert main(line) == 2
    assert "--journal: " in capsys.readouterr().err
