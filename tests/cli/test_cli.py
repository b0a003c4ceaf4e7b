"""The `meibel` command: the terminal chat against a local server, every other command against
the built-in fake (in process through `main([...])`, and through `python -m meibel`), its
errors against a dead server, usage errors, JSON output and progress."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_chat_stream import FINAL, KEY, chat_events
from wire import RecordingServer, parse_multipart

import meibel
from meibel import MeibelClient
from meibel._cli import _progress as progress_module
from meibel._cli import chat, main
from meibel._cli._commands import jsonable
from meibel._cli._progress import progress, size
from meibel.testing import FakeMeibel


def test_chat_streams_replies_shows_citations_and_attaches_files(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Q4 notes")
    recording_server.respond(200, {"session_id": "s_1"})
    recording_server.stream(chat_events())
    recording_server.stream(chat_events(sources=False))
    stdin = io.StringIO(f"/attach {notes}\n/attach {tmp_path}/missing.pdf\nFirst?\n\nSecond?\n")
    stdout = io.StringIO()
    with MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        assert chat(client, "agent_123", stdin, stdout) == 0
    out = stdout.getvalue()
    assert "Session s_1 with agent agent_123" in out
    assert "attached notes.txt" in out
    assert "no such file" in out
    assert out.count(f"agent> {FINAL}") == 2
    assert "  [1] Q4 report" in out
    first, second = recording_server.requests[1:]
    files = [p for p in parse_multipart(first.headers["Content-Type"], first.body) if p.filename]
    assert [(p.filename, p.data) for p in files] == [("notes.txt", b"Q4 notes")]
    second_parts = parse_multipart(second.headers["Content-Type"], second.body)
    assert [p.filename for p in second_parts] == [None], "attachments go with one message only"


def test_chat_reports_errors_and_goes_on(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"session_id": "s_1"})
    recording_server.respond(404, {"detail": "session expired"})
    recording_server.stream(chat_events())
    stdout = io.StringIO()
    with MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        chat(client, "a", io.StringIO("one\ntwo\n/quit\n"), stdout)
    assert "error: " in stdout.getvalue()
    assert "session expired" in stdout.getvalue()
    assert FINAL in stdout.getvalue()


ROOT = Path(__file__).resolve().parent.parent


def test_make_demo_shows_streamed_text_citations_and_history() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MEIBEL_")},
    )
    out = result.stdout
    assert "stream: Revenue rose each quarter: 4% in Q2, 7% in Q3 and 12% in Q4 [1]." in out
    assert "Citations: ['Quarterly results']" in out
    assert "[Stream complete]" in out
    assert "  [user] Summarize the revenue trends over the last 3 quarters." in out
    assert "  [assistant] Revenue rose each quarter" in out
    assert "received 'q4-report.csv'" in out


def test_the_terminal_chat_against_the_fake(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    result = subprocess.run(
        [sys.executable, "-m", "meibel", "chat", "--agent", "agent_9", "--fake"],
        input=f"/attach {notes}\nWhat is in my notes?\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "with agent agent_9" in result.stdout
    assert "attached notes.txt" in result.stdout
    assert "agent> This is a fake reply." in result.stdout


def test_version_names_the_package_and_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    expected = f"meibel-sdk {meibel.__version__} (Meibel API {meibel.__api_version__})\n"
    assert capsys.readouterr().out == expected
    for command in (
        [sys.executable, "-m", "meibel", "--version"],
        [Path(sys.executable).parent / "meibel", "--version"],  # the console script
    ):
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
        assert result.stdout == expected


def test_the_fake_chat_without_the_testing_extra_says_how_to_install_it() -> None:
    """One line on stderr, no traceback (tests/test_install.py checks a real install too)."""
    without_extra = (
        "import sys; sys.modules['jsonschema'] = sys.modules['python_multipart'] = None; "
        "from meibel._cli import main; sys.exit(main(['chat', '--agent', 'a', '--fake']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", without_extra],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "meibel: meibel.testing needs jsonschema and python_multipart, which meibel-sdk installs "
        'only with its [testing] extra: pip install "meibel-sdk[testing]"'
    ]


# ----- the commands against the built-in fake ---------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`meibel ARGV` in process: (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    status, out, err = run(capsys, "--json", *argv)
    assert (status, err) == (0, ""), err
    return json.loads(out)


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


def test_no_api_key_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEIBEL_API_KEY", raising=False)
    status, out, err = run(capsys, "agents", "list")
    assert (status, out) == (2, "")
    assert err.splitlines() == [
        "meibel: no API key: set MEIBEL_API_KEY (and MEIBEL_BASE_URL for another server), "
        "or try the built-in fake with --fake"
    ]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nope"],
        ["agents"],
        ["agents", "remove"],
        ["upload", "folder"],
        ["parse"],
        ["parse", "f.pdf", "--format", "pdf"],
        ["parse", "f.pdf", "--timeout", "soon"],
        ["download", "ds_1", "job_1"],
        ["ingest", "wait"],
        ["chat"],
        ["--wait", "agents", "list"],
        ["ingest", "wait", "ds_1", "--poll-interval", "0"],
        ["ingest", "wait", "ds_1", "--timeout", "-1"],
    ],
    ids=lambda argv: " ".join(argv) or "nothing",
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: meibel")
    assert "Traceback" not in err


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


def test_global_options_go_before_or_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    def status(*argv: str) -> dict[str, Any]:
        document: dict[str, Any] = run_json(capsys, *argv)
        del document["started_at"]
        return document

    first = status("--fake", "ingest", "status", "ds_1")
    assert first["status"] == "running"
    assert status("ingest", "--fake", "status", "ds_1") == first
    assert status("ingest", "status", "ds_1", "--fake") == first
    assert status("ingest", "status", "--fake", "ds_1") == first
    code, out, _ = run(capsys, "ingest", "status", "ds_1", "--fake", "--json")
    assert (code, json.loads(out)["datasource_id"]) == (0, "ds_1")


@pytest.mark.parametrize(
    "argv", [["agents", "list", "--fake"], ["--fake", "ingest", "wait", "ds_1"]], ids=" ".join
)
def test_the_fake_without_the_testing_extra_says_how_to_install_it(argv: list[str]) -> None:
    without_extra = (
        "import sys; sys.modules['jsonschema'] = sys.modules['python_multipart'] = None; "
        f"from meibel._cli import main; sys.exit(main({argv!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", without_extra], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith("meibel: meibel.testing needs jsonschema and python_multipart")
    assert line.endswith('pip install "meibel-sdk[testing]"')


# ----- JSON, progress, and what is imported ------------------------------------------------------


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


def test_jsonable_turns_reports_into_plain_data(tmp_path: Path) -> None:
    from meibel._folder_upload import FailedFile, SkippedFile, UploadReport

    report = UploadReport(
        (), (SkippedFile(tmp_path / ".env", "hidden"),), (FailedFile(tmp_path / "a", OSError("x")),)
    )
    assert jsonable(report) == {
        "uploaded": [],
        "skipped": [{"path": str(tmp_path / ".env"), "reason": "hidden"}],
        "failed": [{"path": str(tmp_path / "a"), "error": "x"}],
        "ingest": None,
        "ingest_error": None,
        "in_flight": [],
        "not_started": [],
    }


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_rich_bar_on_a_terminal_else_plain_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    bar = progress(terminal)
    assert type(bar).__name__ == "_Bar"
    bar.update("uploaded 1.0 KiB of 2.0 KiB, [bold]q4[/].pdf", 1024, 2048)
    bar._progress.refresh()  # type: ignore[attr-defined]
    bar.close()
    assert "\x1b[" in terminal.getvalue(), "drawn with terminal codes"
    assert "[bold]q4[/].pdf" in terminal.getvalue(), "a filename is text, not rich markup"

    lines = io.StringIO()
    assert type(progress(lines)).__name__ == "_Lines"
    assert type(progress(lines, lines=False)).__name__ == "Silent"
    for name in ("rich", "rich.console", "rich.progress"):
        monkeypatch.setitem(sys.modules, name, None)  # rich not installed
    plain = progress(_Terminal())
    assert type(plain).__name__ == "_Lines"


def test_plain_lines_are_throttled_and_end_with_the_last_state() -> None:
    stream = io.StringIO()
    lines = progress(stream)
    for done in range(0, 101, 10):
        lines.update(f"uploaded {done} B", done, 100)
    lines.close()
    assert stream.getvalue().splitlines() == ["uploaded 0 B", "uploaded 100 B"]


def test_sizes_for_people() -> None:
    assert [size(n) for n in (0, 1023, 1024, 3_565_158, 5 << 30, 5 << 40)] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "3.4 MiB",
        "5.0 GiB",
        "5120.0 GiB",
    ]


def test_import_meibel_and_the_version_do_not_import_rich(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    script = f"""
import sys
import meibel
assert "rich" not in sys.modules, "import meibel"
from meibel._cli import main
try:
    main(["--version"])
except SystemExit:
    pass
assert "rich" not in sys.modules, "meibel --version"
# Not a terminal: plain progress lines, so rich is not needed.
assert main(["--fake", "upload", {str(tmp_path)!r}, "--datasource", "ds_1", "--wait"]) == 0
assert "rich" not in sys.modules, "meibel upload, not on a terminal"
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "ok"


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
