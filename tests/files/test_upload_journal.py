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
from journal_lines import stored_records

from meibel._cli import main
from meibel._journal import ALREADY_UPLOADED, JournalError
from meibel._upload_rounds import ALREADY_LISTED
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
    fake.fail_next(400, times=3)  # final: a 5xx would be checked and sent again in the same run

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


def test_the_journal_notes_each_send_then_each_stored_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 4)
    journal = tmp_path / "upload.jsonl"
    _upload(_fake(), "sync", folder, journal)
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    sending = [line for line in lines if line.get("sending")]
    records = [line for line in lines if not line.get("sending")]
    assert sorted(line["name"] for line in sending) == sorted(line["name"] for line in records)
    for record in records:  # its "sending" line comes first
        assert lines.index(record) > lines.index(
            next(s for s in sending if s["name"] == record["name"])
        )
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


def test_a_torn_last_line_is_cut_off_and_its_file_checked_with_the_server(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path, 3)
    journal = tmp_path / "upload.jsonl"
    fake = _fake()
    _upload(fake, "sync", folder, journal)
    lines = journal.read_text().splitlines()
    # The last record cut short, as a kill -9 in the middle of a write would leave it.
    journal.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    lost = json.loads(lines[-1])["name"]

    report = _upload(fake, "sync", folder, journal)

    # Its "sending" line survived: the server's listing has it, so it is not sent again.
    assert report.uploaded == ()
    assert (
        sorted(reason for _, reason in report.skipped) == [ALREADY_LISTED] + [ALREADY_UPLOADED] * 2
    )
    assert set(_stored(fake).values()) == {1}
    kept = [json.loads(line) for line in journal.read_text().splitlines()]
    assert kept[-1]["name"] == lost
    assert not kept[-1].get("sending")
    assert len(_upload(fake, "sync", folder, journal).skipped) == 3


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
        recorded = len(stored_records(journal))
        assert 0 < recorded <= before < 200

        with fake.client(max_retries=0) as client:
            report = client.file_upload.upload_folder(DATASOURCE, folder, journal=journal)

    stored = _stored(fake)
    assert len(stored) == 200  # every file is on the server
    assert set(stored.values()) == {1}  # and none twice
    reasons = collections.Counter(reason for _, reason in report.skipped)
    assert reasons[ALREADY_UPLOADED] == recorded
    # In flight when the process died: checked with the server, which had them; not sent again.
    assert reasons[ALREADY_LISTED] == before - recorded <= 4
    assert len(report.uploaded) == 200 - before


def test_the_command_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = _folder(tmp_path, 3)
    line = ["--fake", "upload", str(folder), "--datasource", "ds_demo", "--resume"]
    assert main(line) == 0
    assert main(line) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].endswith("to ds_demo, skipped 3"), out
    (journal,) = (tmp_path / "state" / "meibel" / "uploads").glob("ds_demo-*.jsonl")
    assert len(stored_records(journal)) == 3
    journal.write_text("garbage\n")
    assert main(line) == 2
    assert "--journal: " in capsys.readouterr().err
