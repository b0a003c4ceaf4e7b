"""`meibel upload` beyond a local folder: an fsspec URL as FOLDER, and `--from-file LIST`."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from cli_helpers import run, run_json
from fsspec.registry import known_implementations


@pytest.fixture
def corpus() -> Iterator[str]:
    """memory://cli-corpus: two files and a hidden one, emptied after the test."""
    fs = fsspec.filesystem("memory")
    fs.pipe("/cli-corpus/q4.txt", b"Revenue grew 12%.")
    fs.pipe("/cli-corpus/2024/q2.csv", b"quarter,growth\nQ2,4%\n")
    fs.pipe("/cli-corpus/.env", b"SECRET=1")
    yield "memory://cli-corpus"
    fs.rm("/cli-corpus", recursive=True)


@pytest.fixture
def listed(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / "a.txt", tmp_path / "sub" / "b.txt"]
    for path in paths:
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"{path.name}\n")
    return paths


def test_upload_an_fsspec_url(capsys: pytest.CaptureFixture[str], corpus: str) -> None:
    status, out, _ = run(capsys, "--fake", "upload", corpus, "--datasource", "ds_demo")
    assert status == 0
    assert out.splitlines()[-1] == "uploaded 2 files (38 B) to ds_demo, skipped 1"
    report = run_json(capsys, "--fake", "upload", corpus, "--datasource", "ds_demo")
    assert sorted(item["path"] for item in report["upload"]["uploaded"]) == [
        "/cli-corpus/2024/q2.csv",
        "/cli-corpus/q4.txt",
    ]


def test_resume_an_fsspec_url(
    capsys: pytest.CaptureFixture[str], corpus: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    line = ["--fake", "upload", corpus, "--datasource", "ds_demo", "--resume"]
    assert run(capsys, *line)[0] == 0
    status, out, _ = run(capsys, *line)
    assert (status, out.splitlines()[-1]) == (0, "uploaded 0 files (0 B) to ds_demo, skipped 3")


def test_upload_from_a_list_file(
    capsys: pytest.CaptureFixture[str], listed: list[Path], tmp_path: Path
) -> None:
    listing = tmp_path / "files.txt"
    listing.write_text("".join(f"{path}\n" for path in listed) + "\n")  # a blank line is no file
    report = run_json(capsys, "--fake", "upload", "--from-file", str(listing), "--datasource", "d")
    assert sorted(item["path"] for item in report["upload"]["uploaded"]) == sorted(map(str, listed))

    listing.write_text(f"{listed[0]}\n{tmp_path / 'gone.txt'}\n")
    status, out, err = run(
        capsys, "--fake", "upload", "--from-file", str(listing), "--datasource", "d"
    )
    assert status == 1
    assert out.splitlines()[0] == "uploaded 1 file (6 B) to d, 1 failed"
    assert f"failed {tmp_path / 'gone.txt'}: " in out
    assert "1 of 2 files failed to upload" in err


def test_upload_from_stdin(
    capsys: pytest.CaptureFixture[str], listed: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{path}\n" for path in listed)))
    status, out, _ = run(capsys, "--fake", "upload", "--from-file", "-", "--datasource", "d")
    assert (status, out.splitlines()[-1]) == (0, "uploaded 2 files (12 B) to d")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["upload", "--datasource", "d"], "give a FOLDER or --from-file LIST"),
        (["upload", "x", "--from-file", "-", "--datasource", "d"], "give a FOLDER or --from-file"),
        (["upload", "--from-file", "-", "--pattern", "*.pdf", "--datasource", "d"], "--pattern"),
        (["upload", "--from-file", "-", "--resume", "--datasource", "d"], "give --journal PATH"),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status, out, err = run(capsys, "--fake", *argv)
    assert (status, out) == (2, "")
    assert message in err


@pytest.mark.parametrize("scheme", ["brokenfs", "nosuchfs"])
def test_a_url_without_its_filesystem_package_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    # brokenfs: known to fsspec, its package missing (as s3:// without s3fs); nosuchfs: unknown.
    broken = {"class": "no_such_package.BrokenFS", "err": "Install no_such_package for brokenfs"}
    monkeypatch.setitem(known_implementations, "brokenfs", broken)
    status, out, err = run(capsys, "--fake", "upload", f"{scheme}://b", "--datasource", "d")
    assert (status, out) == (2, "")
    assert err.startswith(f"meibel: {scheme}://b: ")
    assert ("Install no_such_package" if scheme == "brokenfs" else "no such filesystem") in err
