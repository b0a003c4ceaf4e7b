"""What a generated command prints: a table on a terminal, JSON into a pipe, `--output
table|json|jsonl`, lists and streams as they arrive, never a raw control character."""

from __future__ import annotations

import io
import json
import re
import sys
from typing import Any

import pytest

from meibel._cli import main


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, terminal: bool = False) -> tuple[int, str]:
    """(exit status, stdout); on a `terminal`, rich's own styling (SGR codes) taken out."""
    out = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    return main(["--fake", *argv]), re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())


def test_piped_the_default_is_json_and_on_a_terminal_a_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, out = run(monkeypatch, "agents", "get", "agent_123")
    assert (status, json.loads(out)["id"]) == (0, "agent_123")
    status, out = run(monkeypatch, "agents", "get", "agent_123", terminal=True)
    assert status == 0
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert rows["FIELD"] == ["VALUE"]
    assert rows["id"] == ["agent_123"]


def test_a_list_in_each_format(monkeypatch: pytest.MonkeyPatch) -> None:
    status, out = run(monkeypatch, "agents", "list-agents", "--output", "table")
    header, row = out.splitlines()
    assert (status, header.split()[0], row.split()[0]) == (0, "ID", "agent_123")
    _, out = run(monkeypatch, "agents", "list-agents", "--output", "json")
    assert [agent["id"] for agent in json.loads(out)] == ["agent_123"]
    _, out = run(monkeypatch, "--output", "jsonl", "agents", "list-agents")  # before it too
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["agent_123"]
    # An answer that holds a list: its items are the rows and the lines.
    _, out = run(monkeypatch, "datasources", "list-datasources", "--output", "jsonl")
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["ds_demo"]
    _, out = run(monkeypatch, "datasources", "list-datasources", "--output", "table")
    assert out.split()[:1] == ["ID"]
    assert "ds_demo" in out


def test_the_task_commands_take_jsonl_too(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = run(monkeypatch, "agents", "list", "--output", "jsonl")
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["agent_123"]
    _, out = run(monkeypatch, "agents", "list")  # piped: still today's table
    assert out.split()[:4] == ["ID", "NAME", "TYPE", "VERSION"]


def test_streams_print_each_event(monkeypatch: pytest.MonkeyPatch) -> None:
    line = ("sessions", "send-chat-message-stream", "session_1", "--user-message", "hi")
    _, out = run(monkeypatch, *line)
    events: list[dict[str, Any]] = [json.loads(text) for text in out.splitlines()]
    assert "".join(e.get("delta", "") for e in events) == "This is a fake reply."
    _, out = run(monkeypatch, *line, terminal=True)
    assert "This is a fake reply.\n" in out


def test_nothing_the_server_sent_reaches_a_terminal_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "evil\x1b]0;pwned\x07\u202e"
    line = ("datasources", "create-datasource", "--name", name)
    _, out = run(monkeypatch, *line, terminal=True)
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "evil\\x1b]0;pwned\\x07\\u202e" in out
    _, out = run(monkeypatch, *line, "--output", "json")
    assert json.loads(out)["name"] == name


def test_a_file_answer_is_saved_with_the_rules_of_download(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    line = ("datasource-downloads", "file", "job_1", "--datasource-id", "ds_1", "-o")
    status, out = run(monkeypatch, *line, str(tmp_path) + "/")
    (saved,) = tmp_path.iterdir()
    assert (status, out) == (0, f"saved {saved} ({saved.stat().st_size} B)\n")
    status, out = run(monkeypatch, *line, str(saved))
    assert status == 1
    assert "exists (pass --overwrite to replace it)" in capsys.readouterr().err
    status, out = run(monkeypatch, "--output", "json", *line, str(saved), "--overwrite")
    assert (status, json.loads(out)["path"]) == (0, str(saved))


def test_an_operation_without_content_prints_nothing_on_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(monkeypatch, "agents", "delete", "agent_9")
    assert (status, out) == (0, "")
    assert capsys.readouterr().err == "agents delete agent_9: done\n"
