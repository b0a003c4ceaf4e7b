"""The `meibel` command against the built-in fake (in process through `main([...])`, and through
`python -m meibel`): every command, its errors against a dead server, JSON output.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run, run_json

from meibel._cli import _progress as progress_module
from meibel._cli._progress import size
from meibel.testing import FakeMeibel

# ----- the commands against the built-in fake ---------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three files to upload, one of them in a subfolder, and a hidden one to skip."""
    root = tmp_path / "reports"
    (root / "2024").mkdir(parents=True)
    (root / "q4.txt").write_text("Revenue grew 12%.")
    (root / "q3.txt").write_text("Revenue grew 7%.")
    (root / "2024" / "q2.csv").write_bytes(b"quarter,growth\nQ2,4%\n" * 100)
    (root / ".env").write_text("SECRET=1")
    return root


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7 a small report")
    return path


def test_agents_list(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--fake", "agents", "list")
    assert (status, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "NAME", "TYPE", "VERSION"]
    assert rows[0].split() == ["agent_123", "agent_123", "chat", "1"]
    agents = run_json(capsys, "agents", "list", "--fake")  # options after the command too
    assert [agent["id"] for agent in agents] == ["agent_123"]
    assert agents[0]["llm_model"] == "fake-model"


def test_datasources_list_and_create(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--fake", "datasources", "list")
    assert (status, err) == (0, "")
    assert out.splitlines()[0].split() == ["ID", "NAME", "FILES", "UPDATED"]
    assert out.splitlines()[1].split()[:3] == ["ds_demo", "Demo", "0"]
    listing = run_json(capsys, "--fake", "datasources", "list")
    assert [d["id"] for d in listing["datasources"]] == ["ds_demo"]

    status, out, _ = run(capsys, "--fake", "datasources", "create", "Reports")
    assert status == 0
    assert out.startswith("created ds_")
    assert out.rstrip().endswith("(Reports)")
    created = run_json(capsys, "--fake", "datasources", "create", "Reports", "--description", "Q")
    assert (created["name"], created["description"]) == ("Reports", "Q")


def test_upload_a_folder_and_wait_for_the_ingest(
    capsys: pytest.CaptureFixture[str], folder: Path
) -> None:
    total = size(sum(p.stat().st_size for p in folder.rglob("*.*") if p.name != ".env"))
    status, out, err = run(capsys, "--fake", "upload", str(folder), "--datasource", "ds_1")
    assert status == 0, err
    assert out.splitlines() == [f"uploaded 3 files ({total}) to ds_1, skipped 1"]
    assert err.splitlines()[0].startswith("uploaded "), "progress: plain lines, not a TTY"
    assert err.splitlines()[-1].startswith(f"uploaded {total} of {total}, ")

    status, out, err = run(
        capsys, "--fake", "upload", str(folder), "--datasource", "ds_1", "--wait"
    )
    assert status == 0, err
    assert out.splitlines()[0] == f"uploaded 3 files ({total}) to ds_1, skipped 1"
    assert out.splitlines()[1] == "ingest ds_1: completed"
    assert err.splitlines()[-1].startswith("ingest ds_1: completed")

    report = run_json(capsys, "--fake", "upload", str(folder), "--datasource", "ds_9", "--wait")
    uploaded = sorted(Path(item["path"]).name for item in report["upload"]["uploaded"])
    assert uploaded == ["q2.csv", "q3.txt", "q4.txt"]
    assert report["upload"]["uploaded"][0]["response"]["datasource_id"] == "ds_9"
    assert [Path(s["path"]).name for s in report["upload"]["skipped"]] == [".env"]
    assert (report["upload"]["failed"], report["ingest"]["status"]) == ([], "completed")


def test_upload_without_wait_leaves_the_ingest_alone(
    capsys: pytest.CaptureFixture[str], folder: Path
) -> None:
    report = run_json(capsys, "--fake", "upload", str(folder), "--datasource", "ds_1")
    assert (report["upload"]["ingest"], report["ingest"]) == (None, None)
    report = run_json(capsys, "--fake", "upload", str(folder), "--datasource", "ds_1", "--ingest")
    assert report["upload"]["ingest"] is not None
    assert report["ingest"] is None


def test_parse_a_document(
    capsys: pytest.CaptureFixture[str], document: Path, tmp_path: Path
) -> None:
    status, out, err = run(capsys, "--fake", "parse", str(document))
    assert (status, err) == (0, "")
    assert out.startswith("parse job_")
    assert out.rstrip().endswith(": queued")

    status, out, err = run(capsys, "--fake", "parse", str(document), "--wait")
    assert status == 0, err
    assert out.startswith("parse job_")
    assert ": completed" in out
    assert ": completed" in err.splitlines()[-1]

    result = tmp_path / "report.md"
    status, out, err = run(capsys, "--fake", "parse", str(document), "-o", str(result))
    assert status == 0, err
    assert out.splitlines()[-1] == f"saved {result} ({result.stat().st_size} B)"
    assert result.read_text().startswith("# report.pdf")

    status, out, err = run(capsys, "--fake", "parse", str(document), "-o", str(result))
    assert (status, out) == (1, "")
    assert err.splitlines()[-1] == f"meibel: {result}: exists (pass --overwrite to replace it)"

    into = tmp_path / "results"
    into.mkdir()
    args = ("--fake", "parse", str(document), "-o", str(into), "--format", "json")
    status, out, err = run(capsys, *args)
    assert status == 0, err
    assert json.loads((into / "report.json").read_text())["filename"] == "report.pdf"

    job = run_json(capsys, "--fake", "parse", str(document))
    assert set(job) >= {"job_id", "status"}
    done = run_json(capsys, "--fake", "parse", str(document), "--wait")
    assert (done["status"], done["format"]) == ("completed", "pdf")


def test_parse_progress_lines_show_each_status(
    capsys: pytest.CaptureFixture[str], document: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "LINE_INTERVAL", 0.0)
    status, _, err = run(capsys, "--fake", "parse", str(document), "--wait")
    assert status == 0, err
    states = [line.split(": ")[1].split(",")[0] for line in err.splitlines()]
    assert states[0] == "queued"
    assert "processing" in states
    assert states[-1] == "completed"
    assert all(line.startswith("parse job_") for line in err.splitlines())


def test_download_a_job_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "export.csv"
    status, out, err = run(capsys, "--fake", "download", "ds_1", "job_7", "-o", str(out_file))
    assert status == 0, err
    assert out == f"saved {out_file} ({out_file.stat().st_size} B)\n"
    assert out_file.read_text().splitlines()[0] == "upload_id,filename,content_type,bytes"

    status, out, err = run(capsys, "--fake", "download", "ds_1", "job_7", "-o", str(out_file))
    assert (status, out) == (1, "")
    assert err == f"meibel: {out_file}: exists (pass --overwrite to replace it)\n"
    args = ("--fake", "download", "ds_1", "job_7", "-o", str(out_file), "--overwrite")
    assert run(capsys, *args)[0] == 0

    saved = run_json(capsys, "--fake", "download", "ds_1", "job_7", "-o", str(tmp_path))
    assert saved["path"] == str(tmp_path / "ds_1-job_7.csv")
    assert saved["filename"] == "ds_1-job_7.csv"
    assert saved["bytes"] == (tmp_path / "ds_1-job_7.csv").stat().st_size


def test_ingest_status_and_wait(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--fake", "ingest", "status", "ds_1")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == "ingest ds_1: running"
    status, out, err = run(capsys, "--fake", "ingest", "wait", "ds_1")
    assert status == 0, err
    assert out.splitlines()[0] == "ingest ds_1: completed"
    assert err.splitlines()[0].startswith("ingest ds_1: running")

    assert run_json(capsys, "--fake", "ingest", "status", "ds_1")["status"] == "running"
    done = run_json(capsys, "--fake", "ingest", "wait", "ds_1")
    assert (done["datasource_id"], done["status"]) == ("ds_1", "completed")


def test_the_fake_names_every_datasource_the_command_uses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "--fake", "ingest", "status", "my-reports")
    assert (status, err) == (0, "")
    assert out.startswith("ingest my-reports: ")


# ----- against a served fake: the environment's key and server, as a user runs it ---------------


def test_commands_use_the_key_and_server_of_the_environment(
    meibel_fake_server: str,
    meibel_fake: FakeMeibel,
    capsys: pytest.CaptureFixture[str],
    folder: Path,
) -> None:
    created = run_json(capsys, "datasources", "create", "Reports")
    report = run_json(
        capsys, "upload", str(folder), "--datasource", created["id"], "--wait",
        "--poll-interval", "0.01",
    )  # fmt: skip
    assert report["ingest"]["status"] == "completed"
    assert {r.operation_id for r in meibel_fake.requests} >= {
        "createDatasource",
        "uploadContent",
        "triggerIngest",
        "getIngestStatus",
    }
    assert meibel_fake.requests[0].headers["meibel-api-key"] == "fake-key"


def test_a_failed_job_is_one_line_and_exit_1(
    meibel_fake_server: str,
    meibel_fake: FakeMeibel,
    capsys: pytest.CaptureFixture[str],
    document: Path,
) -> None:
    meibel_fake.fail_job("document", "the PDF is encrypted")
    status, out, err = run(capsys, "parse", str(document), "--wait", "--poll-interval", "0.01")
    assert (status, out) == (1, "")
    (line,) = [line for line in err.splitlines() if line.startswith("meibel: ")]
    assert line.startswith("meibel: document job job_")
    assert line.endswith("the PDF is encrypted")
    assert err.splitlines()[-1] == line
    assert "Traceback" not in err


def test_a_wait_that_times_out_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("--fake", "ingest", "wait", "ds_1", "--timeout", "0", "--poll-interval", "5")
    status, out, err = run(capsys, *args)
    assert (status, out) == (1, "")
    assert err.splitlines()[-1].startswith("meibel: ingest of datasource ds_1 did not end")


# ----- errors ------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def dead_server(monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"http://127.0.0.1:{_closed_port()}/v2"
    monkeypatch.setenv("MEIBEL_BASE_URL", url)
    monkeypatch.setenv("MEIBEL_API_KEY", "sk-test")
    return url


@pytest.mark.parametrize(
    "command",
    [
        ["agents", "list"],
        ["datasources", "list"],
        ["datasources", "create", "Reports"],
        ["upload", "{folder}", "--datasource", "ds_1", "--wait"],
        ["parse", "{document}", "--wait"],
        ["download", "ds_1", "job_1", "-o", "{tmp}/out.csv"],
        ["ingest", "status", "ds_1"],
        ["ingest", "wait", "ds_1"],
        ["chat", "--agent", "agent_1"],
        ["--json", "agents", "list"],
    ],
    ids=" ".join,
)
def test_a_dead_server_is_one_line_on_stderr_and_exit_1(
    dead_server: str,
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    folder: Path,
    document: Path,
    tmp_path: Path,
) -> None:
    argv = [arg.format(folder=folder, document=document, tmp=tmp_path) for arg in command]
    status, out, err = run(capsys, *argv)
    assert status == 1
    (line,) = err.splitlines()
    assert line.startswith("meibel: ")
    assert f"{dead_server.removesuffix('/v2')}/v2/" in line
    assert "Connection refused" in line
    assert "Traceback" not in out + err
    if command[0] == "upload":  # the report of what was tried is the result, on stdout
        assert line.startswith("meibel: 3 of 3 files failed to upload (first 2024/q2.csv: POST ")
        assert out.splitlines()[0] == "uploaded 0 files (0 B) to ds_1, skipped 1, 3 failed"
    else:
        assert out == ""
    assert not (tmp_path / "out.csv").exists()


def test_a_dead_server_through_python_m_meibel() -> None:
    env = {
        **os.environ,
        "MEIBEL_API_KEY": "sk-test",
        "MEIBEL_BASE_URL": f"http://127.0.0.1:{_closed_port()}/v2",
    }
    command = [sys.executable, "-m", "meibel", "datasources", "list"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("meibel: GET http://127.0.0.1:")
    assert "Connection refused" in line

    debug = subprocess.run(
        [*command[:3], "--debug", *command[3:]], capture_output=True, text=True, timeout=60, env=env
    )
    assert debug.returncode == 1
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert "APIConnectionError" in debug.stderr
    assert debug.stderr.splitlines()[-1].startswith("meibel: GET http://127.0.0.1:")


def test_debug_shows_the_traceback(
    dead_server: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "--debug", "ingest", "status", "ds_1")
    assert status == 1
    assert "Traceback (most recent call last):" in err
    assert err.splitlines()[-1].startswith("meibel: GET ")
    status, _, err = run(capsys, "parse", str(tmp_path / "missing.pdf"), "--debug")
    assert status == 1
    assert "FileNotFoundError" in err


def test_missing_local_files_are_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, document: Path
) -> None:
    missing = tmp_path / "missing"
    for argv, path, reason in (
        (["parse", str(missing)], missing, "no such file or directory"),
        (["parse", str(tmp_path)], tmp_path, "a folder, not a file"),
        (["upload", str(missing), "--datasource", "d"], missing, "no such file or directory"),
        (["upload", str(document), "--datasource", "d"], document, "not a folder"),
    ):
        status, out, err = run(capsys, "--fake", *argv)
        assert (status, out) == (1, ""), argv
        assert err.splitlines() == [f"meibel: {path}: {reason}"]
    status, out, err = run(capsys, "--fake", "download", "d", "j", "-o", str(missing / "x.csv"))
    assert (status, out) == (1, "")
    assert err.splitlines() == [f"meibel: {missing}: no such directory"]


def test_a_bad_pattern_exits_2_and_ctrl_c_exits_130(
    capsys: pytest.CaptureFixture[str], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("--fake", "upload", str(folder), "--datasource", "d", "--pattern", "../*")
    status, out, err = run(capsys, *args)
    assert (status, out) == (2, "")
    (line,) = err.splitlines()
    assert line.startswith("meibel: --pattern: pattern must be a glob relative to the folder")

    def interrupted(*_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("meibel._cli._commands.agents_list", interrupted)
    assert run(capsys, "--fake", "agents", "list") == (130, "", "meibel: interrupted\n")


def test_json_is_one_document_and_progress_stays_off(
    capsys: pytest.CaptureFixture[str], folder: Path, document: Path, tmp_path: Path
) -> None:
    for argv in (
        ["upload", str(folder), "--datasource", "ds_1", "--wait"],
        ["parse", str(document), "-o", str(tmp_path / "r.md")],
        ["download", "ds_1", "job_1", "-o", str(tmp_path / "x.csv")],
        ["ingest", "wait", "ds_1"],
    ):
        status, out, err = run(capsys, "--json", "--fake", *argv)
        assert (status, err) == (0, ""), argv
        assert isinstance(json.loads(out), dict), argv


def test_commands_through_python_m_meibel(folder: Path, document: Path) -> None:
    def meibel_(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "meibel", *argv]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)

    upload = meibel_("--fake", "upload", str(folder), "--datasource", "ds_1", "--wait", "--json")
    assert json.loads(upload.stdout)["ingest"]["status"] == "completed"
    assert upload.stderr == ""
    parse = meibel_("--fake", "parse", str(document), "--wait")
    assert ": completed" in parse.stdout
    assert ": queued" in parse.stderr.splitlines()[0], "plain progress lines"
    agents = meibel_("agents", "list", "--fake")
    assert "agent_123" in agents.stdout
