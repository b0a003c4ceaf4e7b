"""The config file and its named profiles: `meibel config init|show|use`, `--profile NAME`.

The file is $MEIBEL_CONFIG, else $XDG_CONFIG_HOME/meibel/config.toml (~/.config/meibel/...):

    current = "work"

    [profiles.work]
    api_key = "sk-..."
    base_url = "https://api.meibel.ai/v2"
    datasource_id = "ds_1"
    timeout = 30.0

A setting comes from a flag, else the environment (MEIBEL_API_KEY, MEIBEL_BASE_URL,
MEIBEL_DATASOURCE_ID), else the profile: `--profile`, else $MEIBEL_PROFILE, else `current`, else
"default". The file holds a key, so it is written with mode 0600, atomically. It is read with
tomllib and written with tomli-w.
"""

from __future__ import annotations

import argparse
import getpass
import math
import os
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from ._output import Output, write
from ._text import shown

__all__ = ["KEYS", "Settings", "add_commands", "config_path", "settings"]

KEYS = ("api_key", "base_url", "datasource_id", "timeout")
ENVIRONMENT = {
    "api_key": "MEIBEL_API_KEY",
    "base_url": "MEIBEL_BASE_URL",
    "datasource_id": "MEIBEL_DATASOURCE_ID",
}
SECRETS = frozenset({"api_key"})

Settings = dict[str, Any]


class ConfigError(Exception):
    """The config file cannot be read, or names no such profile: a usage error (exit 2)."""


def config_path() -> Path:
    if given := os.environ.get("MEIBEL_CONFIG"):
        return Path(given).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "meibel" / "config.toml"


def load(path: Path | None = None) -> dict[str, Any]:
    """The file's contents ({} when there is none)."""
    path = config_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not TOML: {error}") from None
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(p, dict) for p in profiles.values()):
        raise ConfigError(f"{path}: [profiles.NAME] tables expected")
    return document


def _profile_name(document: dict[str, Any], asked: str | None) -> str:
    return asked or os.environ.get("MEIBEL_PROFILE") or str(document.get("current") or "default")


def settings(args: argparse.Namespace) -> Settings:
    """The client's settings: flag, else environment, else the profile (None: unset)."""
    document = load()
    asked = getattr(args, "profile", None)
    name = _profile_name(document, asked)
    profiles = document.get("profiles", {})
    if name not in profiles and (asked or os.environ.get("MEIBEL_PROFILE")):
        raise ConfigError(f"no profile {name!r} in {config_path()}")
    profile = profiles.get(name, {})
    chosen: Settings = {key: profile.get(key) for key in KEYS}
    for key, variable in ENVIRONMENT.items():
        if os.environ.get(variable):
            chosen[key] = os.environ[variable]
    if getattr(args, "base_url", None):
        chosen["base_url"] = args.base_url
    return chosen


def save(document: dict[str, Any], path: Path | None = None) -> Path:
    """Write the file with mode 0600, replacing the old one atomically."""
    path = config_path() if path is None else path
    profiles = {
        name: {key: value for key, value in profile.items() if value is not None}
        for name, profile in document.get("profiles", {}).items()
    }
    text = tomli_w.dumps({**document, "profiles": profiles})
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:  # mkstemp makes it 0600
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def masked(key: str, value: object) -> object:
    if key not in SECRETS or not isinstance(value, str):
        return value
    return f"…{value[-4:]}" if len(value) >= 12 else "****"


def _timeout(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def config_init(client: None, args: argparse.Namespace, out: Output) -> int:
    document = load()
    name = args.profile or "default"
    profile = dict(document.get("profiles", {}).get(name, {}))
    given = {
        "api_key": args.api_key,
        "base_url": args.base_url,
        "datasource_id": args.datasource_id,
    }
    given["timeout"] = args.timeout
    if given["api_key"] is None and "api_key" not in profile and sys.stdin.isatty():
        given["api_key"] = getpass.getpass("API key (not shown; empty for none): ") or None
    profile.update({key: value for key, value in given.items() if value is not None})
    document.setdefault("profiles", {})[name] = profile
    document.setdefault("current", name)
    path = save(document)
    out.result({"path": str(path), "profile": name}, lambda: [f"wrote profile {name} to {path}"])
    return 0


def config_show(client: None, args: argparse.Namespace, out: Output) -> int:
    path = config_path()
    document = load(path)
    current = _profile_name(document, args.profile)
    profiles = {
        name: {key: masked(key, value) for key, value in profile.items()}
        for name, profile in document.get("profiles", {}).items()
    }
    shown_document = {"path": str(path), "current": current, "profiles": profiles}

    def lines() -> list[str]:
        text = [f"config file: {path}" + ("" if path.exists() else " (none yet)")]
        for name, profile in profiles.items():
            text.append(f"[{name}]" + (" (in use)" if name == current else ""))
            text += [f"  {key} = {value}" for key, value in profile.items()]
        return text

    out.result(shown_document, lines)
    return 0


def config_use(client: None, args: argparse.Namespace, out: Output) -> int:
    document = load()
    if args.name not in document.get("profiles", {}):
        raise ConfigError(
            f"no profile {args.name!r} in {config_path()} (meibel config init --profile NAME)"
        )
    document["current"] = args.name
    save(document)
    write(out.stderr, f"using profile {shown(args.name)}\n")
    return 0


Command = Callable[..., argparse.ArgumentParser]


def add_commands(
    group: argparse._SubParsersAction[argparse.ArgumentParser], command: Command
) -> None:
    """`config init|show|use` (they need no client: `main` runs them without one)."""
    sub = command(group, "init", config_init, "write a profile (--profile NAME, else default)")
    sub.add_argument(
        "--api-key", metavar="KEY", help="the key (asked for on a terminal if left out)"
    )
    sub.add_argument("--datasource-id", metavar="ID", help="the datasource of calls that omit it")
    sub.add_argument("--timeout", type=_timeout, metavar="SECONDS", help="each request's timeout")
    sub.set_defaults(local=True)
    sub = command(group, "show", config_show, "show the file's profiles, keys masked")
    sub.set_defaults(local=True)
    sub = command(group, "use", config_use, "make a profile the one in use")
    sub.add_argument("name", metavar="NAME")
    sub.set_defaults(local=True)
