"""The `meibel` command's words (issue #19, "What to build" 7): counts read "1 file", and
`/attach DIR` in the chat says it is a directory.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from chat_events import KEY, chat_events
from wire import RecordingServer

from meibel import MeibelClient
from meibel._cli import chat, main


def test_counts_say_1_file(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "a.txt").write_text("hi")
    command = [sys.executable, "-m", "meibel", "--fake", "upload", str(tmp_path / "one")]
    result = subprocess.run(
        [*command, "--datasource", "ds_1", "--wait"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.splitlines()[1:] == ["ingest ds_1: completed", "  rag: 1/1 file, 1 add"]
    assert result.stderr.splitlines()[-1] == "ingest ds_1: completed, 1/1 file"


def test_the_upload_summary_says_1_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("hi")
    assert main(["--fake", "upload", str(tmp_path), "--datasource", "ds_1"]) == 0
    assert capsys.readouterr().out.startswith("uploaded 1 file (2 B) to ds_1")


def test_attach_says_a_directory_is_a_directory(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    recording_server.respond(200, {"session_id": "s_1"})
    recording_server.stream(chat_events())
    (tmp_path / "notes.txt").write_text("n")
    lines = [f"/attach {tmp_path}", "/attach /dev/null", f"/attach {tmp_path / 'notes.txt'}"]
    stdin = io.StringIO("\n".join([*lines, "Hello?", "/quit", ""]))
    stdout = io.StringIO()
    with MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        assert chat(client, "agent_1", stdin, stdout) == 0
    out = stdout.getvalue()
    assert f"{tmp_path} is a directory: attach its files one at a time" in out
    assert "/dev/null is not a regular file" in out
    assert "attached notes.txt" in out
    assert "no such file" not in out
    (sent,) = [r for r in recording_server.requests if r.method == "POST"][1:]
    assert sent.body.count(b'filename="') == 1, "only the file was attached"
