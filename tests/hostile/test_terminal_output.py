"""The `meibel` command never writes the server's control characters to a terminal (issue #19,
row 7): names in tables, error details, chat text, filenames and progress are written with
each control character escaped (`\\x1b`, `\\u202e`); chat text keeps its newlines and tabs.
JSON output is escaped by json itself. Against local servers, as a user runs the command.
"""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chat_events import KEY, _envelope, _event
from file_server import FileServer
from test_cli_pipes import AgentsServer, environment
from wire import RecordingServer

from meibel import MeibelClient
from meibel._cli import chat, main
from meibel._files import is_control

# OSC 0 retitles the terminal, CSI 2J clears it, CR overwrites the line, U+202E reverses it.
HOSTILE = "\x1b]0;owned\x07evil\x1b[2J\rX\u202eY\x9b1m"
ESCAPED = "\\x1b]0;owned\\x07evil\\x1b[2J\\x0dX\\u202eY\\x9b1m"


def raw_controls(text: str, *, keep: str = "\n") -> list[str]:
    return [char for char in text if is_control(char) and char not in keep]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        monkeypatch.setenv("MEIBEL_API_KEY", "sk-test")
        monkeypatch.setenv("MEIBEL_BASE_URL", server.url + "/v2")
        yield server


def test_names_in_a_table_are_escaped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with AgentsServer(total=3, name=lambda i: HOSTILE if i == 1 else None) as server:
        for name, value in environment(server).items():
            monkeypatch.setenv(name, value)
        assert main(["agents", "list"]) == 0
        out, err = capsys.readouterr()
        assert raw_controls(out + err) == []
        assert out.splitlines()[2].split()[:2] == ["agent_00001", ESCAPED]
        assert main(["--json", "agents", "list"]) == 0
        out, _ = capsys.readouterr()
        assert raw_controls(out) == []
        assert "\\u001b]0;owned\\u0007evil" in out


def test_error_details_from_the_server_are_escaped(
    served: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    served.respond(404, {"detail": f"no datasource {HOSTILE}\nsecond line"})
    assert main(["ingest", "status", "ds_1"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert raw_controls(err) == []
    assert ESCAPED in line
    assert line.startswith("meibel: ")

    served.respond(404, {"detail": HOSTILE})
    assert main(["--debug", "ingest", "status", "ds_1"]) == 1
    _, err = capsys.readouterr()
    assert "Traceback (most recent call last):" in err
    assert raw_controls(err) == [], "a traceback carries the server's message too"


def test_results_and_statuses_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fake", "datasources", "create", HOSTILE]) == 0
    out, _ = capsys.readouterr()
    assert raw_controls(out) == []
    assert out.rstrip().endswith(f"({ESCAPED})")


def _chat_reply() -> list[bytes | float]:
    pieces = ["line one\n", "\x1b[31mred\x1b[0m", "\tTab\r\nnext\rOVER"]
    events: list[bytes | float] = [_event("connected", {"signal_id": "s"})]
    for i, piece in enumerate(pieces):
        data = {"message": piece, "clean_message": piece}
        events.append(_event("partial_response", _envelope("partial_response", i + 1, data=data)))
    source = {"source_id": 1, "data_element_id": "d", "title": HOSTILE, "url": "https://x/\x1b[2K"}
    final = {"message": "".join(pieces), "clean_message": "", "sources": [source]}
    events.append(_event("completion", _envelope("completion", 9, data=final)))
    return [*events, b"data: [DONE]\n\n"]


def test_chat_text_keeps_its_lines_and_escapes_the_rest(recording_server: RecordingServer) -> None:
    # Not a C0/C1 control: an id with one is refused before it reaches a path (path_segment).
    recording_server.respond(200, {"session_id": "s_\u202e1"})
    recording_server.stream(_chat_reply())
    stdout = io.StringIO()
    with MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        assert chat(client, "agent_1", io.StringIO("hi\n/quit\n"), stdout) == 0
    out = stdout.getvalue()
    assert raw_controls(out, keep="\n\t") == []
    assert "Session s_\\u202e1 with agent agent_1." in out
    assert "agent> line one\n\\x1b[31mred\\x1b[0m\tTab\nnext\\x0dOVER\n" in out
    assert f"  [1] {ESCAPED} https://x/\\x1b[2K" in out


def test_a_server_filename_is_saved_safe_and_shown_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    disposition = "attachment; filename*=UTF-8''%1B%5D0%3Bpwned%07report%0A.csv"
    body = b"id,name\n1,\x1b[31mred\n"
    with FileServer() as server:
        monkeypatch.setenv("MEIBEL_API_KEY", "sk-test")
        monkeypatch.setenv("MEIBEL_BASE_URL", server.url)
        server.reply(body, headers={"Content-Type": "text/csv", "Content-Disposition": disposition})
        assert main(["download", "ds_1", "job_1", "-o", str(tmp_path)]) == 0
        out, err = capsys.readouterr()
        saved = tmp_path / "_]0;pwned_report_.csv"
        assert out == f"saved {saved} ({len(body)} B)\n"
        assert raw_controls(err) == []
        assert saved.read_bytes() == body, "the file's own bytes are the file's"

        server.reply(body, headers={"Content-Type": "text/csv", "Content-Disposition": disposition})
        assert main(["download", "ds_1", "job_1", "-o", "-"]) == 0
        out, err = capsys.readouterr()
        assert out == body.decode(), "piped: the exact bytes"
        assert "\\x1b]0;pwned\\x07report\\x0a.csv" in err, "progress names the file, escaped"
        assert raw_controls(err) == []


def test_a_file_written_to_a_terminal_is_shown_escaped() -> None:
    """`meibel download ... -o -` with stdout and stderr on a terminal (a pseudo-terminal here):
    the file is shown as text with its controls escaped, and no progress bar is drawn over it."""
    body = "line one\n\x1b]0;owned\x07\x1b[2Jcafé\tok\n".encode() + b"\xff\n"
    with FileServer() as server:
        server.reply(body, headers={"Content-Type": "text/plain"})
        env = {**os.environ, "MEIBEL_API_KEY": "sk-test", "MEIBEL_BASE_URL": server.url}
        controller, terminal = pty.openpty()
        with subprocess.Popen(
            [sys.executable, "-m", "meibel", "download", "ds_1", "job_1", "-o", "-"],
            stdout=terminal,
            stderr=terminal,
            env=env,
        ) as meibel:
            os.close(terminal)
            shown = b""
            while True:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # EIO: the last writer closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            meibel.wait(timeout=30)
        os.close(controller)
    text = shown.decode().replace("\r\n", "\n")  # the terminal's own line endings
    assert meibel.returncode == 0, text
    assert text == (
        f"line one\n\\x1b]0;owned\\x07\\x1b[2Jcafé\tok\n\ufffd\nsaved to stdout ({len(body)} B)\n"
    )
