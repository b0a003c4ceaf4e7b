"""The `meibel` command's JSON conversion, progress (a rich bar on a terminal, else plain lines),
sizes, and what `import meibel` leaves unimported.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from meibel._cli._commands import jsonable
from meibel._cli._progress import progress, size


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
