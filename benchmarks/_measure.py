"""Run a small script in a given interpreter and read the JSON it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def foreign_env(python: Path | str) -> dict[str, str] | None:
    """The environment for `python`: ours as is; another one's without PYTHONPATH, which may
    point at this tree, so that it imports its own `meibel` (the vendor's), never ours."""
    if str(python) == sys.executable:
        return None
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


def run_script(python: Path | str, source: str, *args: str, cwd: str = "/tmp") -> Any:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(source)
    try:
        result = subprocess.run(
            [str(python), script.name, *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=cwd,
            env=foreign_env(python),
        )
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"benchmark script failed:\n{error.stderr}") from error
    finally:
        Path(script.name).unlink()
    return json.loads(result.stdout.strip().splitlines()[-1])
