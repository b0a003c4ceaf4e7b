"""`meibel completion bash|zsh|fish` prints argcomplete's script; the shell then asks `meibel`
itself, which answers from the same parser: task commands, tags, operations and their options."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from meibel._cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_script_of_each_shell(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    registers = {"bash": "complete ", "zsh": "compdef", "fish": "complete --command meibel"}
    assert registers[shell] in script
    assert "meibel" in script
    if shutil.which(shell) and shell != "fish":  # the script is valid for that shell
        subprocess.run([shell, "-n"], input=script, text=True, check=True)


def complete(line: str) -> list[str]:
    """What the shell's script gets from `meibel` for `line` (the cursor at its end)."""
    environment = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_SHELL": "bash",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "COMP_TYPE": "9",
    }
    result = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m meibel 8>&1 9>&2 1>/dev/null 2>&1"],
        env=environment,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return sorted(result.stdout.split("\x0b"))


def test_the_command_completes_its_commands_and_options() -> None:
    assert complete("meibel data-e") == ["data-elements "]  # one: the word is done
    # The task commands, the generated ones under the vendor's names and under their methods'.
    actions = {"status", "wait", "get-status", "get-ingest-status", "trigger", "trigger-ingest"}
    assert actions <= set(complete("meibel ingest "))
    options = set(complete("meibel data-elements search ds_1 --"))
    assert {"--limit", "--regex-filter", "--media-type-filters", "--data", "--output"} <= options
    assert complete("meibel completion f") == ["fish "]
