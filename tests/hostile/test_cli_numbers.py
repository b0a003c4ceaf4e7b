"""Numbers of seconds given to the `meibel` command (issue #19, row 9: `--poll-interval 1e308`):
anything but a finite number in range (the waiters' 0.001 to 3600 s between polls; 0 to a
week of waiting) is a usage error that names the option, before anything is sent. So is an id
that no call could send (blank, a dot segment, a control character).
"""

from __future__ import annotations

import time

import pytest

from meibel._cli import main


@pytest.mark.parametrize(
    ("option", "value", "bounds"),
    [
        ("--poll-interval", "1e308", "from 0.001 to 3600"),
        ("--poll-interval", "inf", "from 0.001 to 3600"),
        ("--poll-interval", "nan", "from 0.001 to 3600"),
        ("--poll-interval", "0", "from 0.001 to 3600"),
        ("--poll-interval", "1e-400", "from 0.001 to 3600"),  # 0.0 once parsed
        ("--poll-interval", "-1", "from 0.001 to 3600"),
        ("--poll-interval", "0.0005", "from 0.001 to 3600"),  # the waiters' own floor
        ("--poll-interval", "3600.5", "from 0.001 to 3600"),
        ("--poll-interval", "soon", "from 0.001 to 3600"),
        ("--timeout", "-0.5", "from 0 to 604800"),
        ("--timeout", "-inf", "from 0 to 604800"),
        ("--timeout", "1e9", "from 0 to 604800"),
        ("--timeout", "", "from 0 to 604800"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "wait", "ds_1"],
        ["parse", "f.pdf", "--wait"],
        ["upload", ".", "--datasource", "d"],
    ],
)
def test_a_number_of_seconds_out_of_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: list[str], option: str, value: str, bounds: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--fake", *command, f"{option}={value}"])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: meibel ")
    last = err.splitlines()[-1]
    assert last.endswith(f"error: argument {option}: {value!r} is not a number of seconds {bounds}")
    assert "Traceback" not in err


def test_the_largest_values_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    argv = ["--fake", "ingest", "wait", "ds_1", "--poll-interval", "3600", "--timeout", "0"]
    assert main(argv) == 1  # the timeout of 0 s ends the wait at once
    assert time.monotonic() - started < 10
    assert capsys.readouterr().err.startswith("meibel: ingest of datasource ds_1 did not end")
    argv = ["--fake", "ingest", "wait", "ds_1", "--timeout", "604800", "--poll-interval", "0.01"]
    assert main(argv) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["upload", ".", "--datasource", ""], "argument --datasource: must be a non-empty id"),
        (["upload", ".", "--datasource", " "], "argument --datasource: must be a non-empty id"),
        (["download", "..", "j", "-o", "x"], "argument DATASOURCE: must be an id, not the path"),
        (["download", "d", "j\x1b", "-o", "x"], "argument JOB: must not contain control"),
        (["ingest", "status", "\t"], "argument DATASOURCE: must be a non-empty id"),
        (["chat", "--agent", "."], "argument --agent: must be an id, not the path segment"),
    ],
)
def test_an_id_no_call_could_send_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--fake", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err.splitlines()[-1]
    assert "Traceback" not in err
