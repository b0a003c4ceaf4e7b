"""A copy of the repository's generator inputs in tmp_path, to regenerate a bumped spec in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ("openapi", "scripts", "pyproject.toml", "Makefile", "generated")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def git(cwd: Path, *args: str) -> None:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the generator inputs and the committed output."""
    for name in INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tmp_path / name)
    return tmp_path


def bump(
    project: Path, change: Callable[[dict[str, Any]], object]
) -> subprocess.CompletedProcess[str]:
    """Apply `change` (a function of the spec) to the copy's vendored spec and regenerate."""
    spec_path = project / "openapi" / "api-v2.json"
    spec = json.loads(spec_path.read_text())
    change(spec)
    spec_path.write_text(json.dumps(spec, indent=2))
    return run([sys.executable, "-m", "scripts.regen"], project)


def operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(
        operation
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and operation.get("operationId") == operation_id
    )
