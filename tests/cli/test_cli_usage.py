"""The `meibel` command's version, usage errors (exit 2), global options and missing extras."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run, run_json

import meibel
from meibel._cli import main


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
