"""`meibel config init|show|use` and `--profile`: named profiles in a 0600 TOML file, and each
setting from a flag, else the environment, else the profile."""

from __future__ import annotations

import json
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from meibel._cli import main
from meibel.testing import FakeMeibel

VARIABLES = (
    "MEIBEL_API_KEY",
    "MEIBEL_BASE_URL",
    "MEIBEL_DATASOURCE_ID",
    "MEIBEL_CONFIG",
    "MEIBEL_PROFILE",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME and XDG_CONFIG_HOME, and none of meibel's variables."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


@pytest.fixture
def servers() -> Iterator[tuple[FakeMeibel, str, FakeMeibel, str]]:
    """Two fakes over HTTP: which one a command reached says where its base URL came from."""
    first, second = FakeMeibel(), FakeMeibel()
    for fake in (first, second):
        for datasource_id in ("ds_profile", "ds_env", "ds_flag", "ds_1"):
            fake.seed("datasources", datasource_id)
    with first.serve() as first_url, second.serve() as second_url:
        yield first, first_url, second, second_url


def test_init_writes_a_private_file_that_show_masks(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = ["config", "init", "--api-key", "sk-live-0123456789abcd", "--datasource-id", "ds_9"]
    assert main(line) == 0
    path = home / "xdg" / "meibel" / "config.toml"
    assert capsys.readouterr().out == f"wrote profile default to {path}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tomllib.loads(path.read_text()) == {
        "current": "default",
        "profiles": {"default": {"api_key": "sk-live-0123456789abcd", "datasource_id": "ds_9"}},
    }
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "sk-live" not in out
    assert "api_key = …abcd" in out
    assert main(["config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["profiles"]["default"] == {"api_key": "…abcd", "datasource_id": "ds_9"}


def test_meibel_config_names_the_file(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "elsewhere" / "meibel.toml"
    monkeypatch.setenv("MEIBEL_CONFIG", str(path))
    assert (
        main(["config", "init", "--profile", "odd name", "--api-key", "k", "--timeout", "5"]) == 0
    )
    assert tomllib.loads(path.read_text())["profiles"]["odd name"] == {
        "api_key": "k",
        "timeout": 5.0,
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_profiles_and_precedence(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    servers: tuple[FakeMeibel, str, FakeMeibel, str],
) -> None:
    first, first_url, second, second_url = servers
    init = ["config", "init", "--api-key", "sk-1", "--base-url", first_url]
    assert main([*init, "--datasource-id", "ds_profile"]) == 0
    assert main(["config", "init", "--profile", "other", "--api-key", "sk-2"]) == 0
    assert main(["config", "init", "--profile", "other", "--base-url", second_url]) == 0
    capsys.readouterr()

    def reached(*argv: str) -> tuple[FakeMeibel, str]:
        first.requests.clear()
        second.requests.clear()
        assert main(["data-elements", "list", *argv]) == 0, capsys.readouterr().err
        (fake,) = [f for f in (first, second) if f.requests]
        return fake, fake.requests[-1].path

    # The profile in use: its key, server and datasource.
    assert reached() == (first, "/v2/datasources/ds_profile/data-elements")
    assert first.requests[-1].headers["meibel-api-key"] == "sk-1"
    # The environment over the profile; a flag over both.
    monkeypatch.setenv("MEIBEL_DATASOURCE_ID", "ds_env")
    monkeypatch.setenv("MEIBEL_BASE_URL", second_url)
    assert reached() == (second, "/v2/datasources/ds_env/data-elements")
    assert reached("ds_flag", "--base-url", first_url) == (
        first,
        "/v2/datasources/ds_flag/data-elements",
    )
    monkeypatch.delenv("MEIBEL_BASE_URL")
    monkeypatch.delenv("MEIBEL_DATASOURCE_ID")
    # Another profile: --profile, or `config use`.
    assert reached("ds_1", "--profile", "other")[0] is second
    assert second.requests[-1].headers["meibel-api-key"] == "sk-2"
    assert main(["config", "use", "other"]) == 0
    assert capsys.readouterr().err == "using profile other\n"
    assert reached("ds_1")[0] is second
    assert reached("ds_1", "--profile", "default")[0] is first


def test_a_missing_profile_is_a_usage_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "use", "nope"]) == 2
    assert "meibel: no profile 'nope' in" in capsys.readouterr().err
    assert main(["agents", "list-agents", "--profile", "nope"]) == 2
    assert "meibel: no profile 'nope' in" in capsys.readouterr().err
    # No profile and no key: the message of old.
    assert main(["agents", "list-agents"]) == 2
    assert capsys.readouterr().err.startswith("meibel: no API key")
