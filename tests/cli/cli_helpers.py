"""Running the `meibel` command in process (`main([...])`) for the CLI tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from meibel._cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`meibel ARGV` in process: (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    status, out, err = run(capsys, "--json", *argv)
    assert (status, err) == (0, ""), err
    return json.loads(out)
