"""The terminal chat of the `meibel` command: against a local server, the fake and `make demo`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from chat_events import FINAL, KEY, chat_events
from wire import RecordingServer, parse_multipart

from meibel import MeibelClient
from meibel._cli import chat


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


ROOT = Path(__file__).resolve().parents[2]


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


def test_the_fake_chat_without_the_testing_extra_says_how_to_install_it() -> None:
    """One line on stderr, no traceback (tests/docs/test_install.py checks a real install too)."""
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
