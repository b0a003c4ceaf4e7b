"""`-o OUT` of `meibel parse` and `meibel download` (issue #19, row 8 and "What to build" 7):
`-o -` writes the file to stdout, `-o DIR/` is a directory (created if missing), a FIFO or link
is never replaced, and `parse -o` refuses a destination it could not write before the job is
started, so a long parse is not lost at the end. Against the fake served on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meibel._cli import main
from meibel.testing import FakeMeibel


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7 a small report")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main([*argv])
    out, err = capsys.readouterr()
    return status, out, err


def parses(fake: FakeMeibel) -> list[str]:
    return [r.operation_id for r in fake.requests if r.operation_id == "parseDocument"]


def test_dash_writes_the_file_to_stdout_and_the_rest_to_stderr(
    document: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "meibel", "--fake", "parse", str(document), "-o", "-"]
    result = subprocess.run(command, capture_output=True, timeout=60, check=True, cwd=tmp_path)
    assert result.stdout.startswith(b"# report.pdf\n\nParsed by FakeMeibel from 23 bytes.")
    status, saved = result.stderr.decode().splitlines()[-2:]
    assert status.startswith("parse job_")
    assert status.endswith(": completed (1 page, 2 elements, 0 tables, 0 ms)")
    assert saved == f"saved to stdout ({len(result.stdout)} B)"
    assert list(tmp_path.iterdir()) == [document], "no file named -"

    download = [sys.executable, "-m", "meibel", "--fake", "download", "ds_1", "job_1", "-o", "-"]
    result = subprocess.run(download, capture_output=True, timeout=60, check=True)
    assert result.stdout == b"upload_id,filename,content_type,bytes\n"


def test_dash_and_json_both_want_stdout(
    meibel_fake: FakeMeibel, meibel_fake_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--json", "download", "ds_1", "job_1", "-o", "-")
    assert (status, out) == (2, "")
    assert err == "meibel: -o - writes the file to stdout, where --json prints: choose one\n"
    assert meibel_fake.requests == []


def test_a_folder_ending_in_a_slash_is_created(
    document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--fake", "parse", str(document), "-o", f"{tmp_path}/results/2024/")
    status, out, err = run(capsys, *args)
    assert status == 0, err
    saved = tmp_path / "results" / "2024" / "report.md"
    assert out.splitlines()[-1] == f"saved {saved} ({saved.stat().st_size} B)"
    status, out, err = run(capsys, "--fake", "download", "ds_1", "j", "-o", f"{tmp_path}/exports/")
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["ds_1-j.csv"]


def _fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "pipe")
    return tmp_path / "pipe"


def _link(tmp_path: Path) -> Path:
    (tmp_path / "real.md").write_text("precious")
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    return tmp_path / "link.md"


@pytest.mark.parametrize(
    ("make", "reason"),
    [(_fifo, "a FIFO (named pipe)"), (_link, "a symbolic link")],
    ids=["fifo", "link"],
)
@pytest.mark.parametrize("command", ["parse", "download"])
def test_a_fifo_or_link_is_refused_before_anything_is_sent(
    meibel_fake: FakeMeibel,
    meibel_fake_server: str,
    document: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Any,
    reason: str,
    command: str,
) -> None:
    path = make(tmp_path)
    argv = [str(document)] if command == "parse" else ["ds_1", "job_1"]
    status, out, err = run(capsys, command, *argv, "-o", str(path), "--overwrite")
    assert (status, out) == (1, "")
    assert err == f"meibel: {path}: not saved: it is {reason}, which save() never replaces\n"
    assert meibel_fake.requests == []
    assert path.is_symlink() or path.is_fifo()


@pytest.mark.parametrize(
    ("output", "line"),
    [
        ("exists.md", "{tmp}/exists.md: exists (pass --overwrite to replace it)"),
        ("missing/report.md", "{tmp}/missing: no such directory"),
        ("exists.md/", "{tmp}/exists.md/: not a directory (a path ending in / names one)"),
        ("exists.md/deeper/", "{tmp}/exists.md: not a directory"),
    ],
    ids=["exists", "missing-parent", "file-as-folder", "file-in-folder-path"],
)
def test_parse_checks_the_destination_before_starting_the_job(
    meibel_fake: FakeMeibel,
    meibel_fake_server: str,
    document: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    output: str,
    line: str,
) -> None:
    (tmp_path / "exists.md").write_text("precious")
    status, out, err = run(capsys, "parse", str(document), "-o", f"{tmp_path}/{output}", "--wait")
    assert (status, out) == (1, "")
    assert err == f"meibel: {line.format(tmp=tmp_path)}\n"
    assert parses(meibel_fake) == [], "the job was not started"
    assert (tmp_path / "exists.md").read_text() == "precious"


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A directory this process cannot create a file in: a read-only one, or for root (who may
    write anywhere) /sys, where no one can."""
    if os.geteuid() == 0:
        yield Path("/sys")
        return
    directory = tmp_path / "locked"
    directory.mkdir(mode=0o555)
    yield directory
    directory.chmod(0o755)


def test_parse_refuses_a_directory_it_cannot_write_in_before_the_job(
    meibel_fake: FakeMeibel,
    meibel_fake_server: str,
    document: Path,
    read_only: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for output in (str(read_only / "report.md"), f"{read_only}/", f"{read_only}/new/"):
        status, out, err = run(capsys, "parse", str(document), "-o", output)
        assert (status, out) == (1, ""), output
        assert err == (
            f"meibel: {read_only}: cannot create a file in this directory (Permission denied)\n"
        )
    assert parses(meibel_fake) == []
    assert not (read_only / "report.md").exists()
    assert not (read_only / "new").exists()


def test_a_destination_folder_gets_the_result_under_the_servers_name(
    meibel_fake_server: str, document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "report.md").write_text("precious")
    status, out, err = run(capsys, "parse", str(document), "-o", str(tmp_path))
    assert (status, out) == (1, "")
    assert err.splitlines()[-1] == (
        f"meibel: {tmp_path / 'report.md'}: exists (pass --overwrite to replace it)"
    ), "known only once the server has named the file"
    status, out, err = run(capsys, "parse", str(document), "-o", str(tmp_path), "--overwrite")
    assert status == 0, err
    assert (tmp_path / "report.md").read_text().startswith("# report.pdf")
