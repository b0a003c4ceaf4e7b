"""Run a small script in a given interpreter and read the JSON it prints."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any


def run_script(python: Path | str, source: str, *args: str, cwd: str = "/tmp") -> Any:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(source)
    try:
        result = subprocess.run(
            [str(python), script.name, *args], capture_output=True, text=True, check=True, cwd=cwd
        )
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"benchmark script failed:\n{error.stderr}") from error
    finally:
        Path(script.name).unlink()
    return json.loads(result.stdout.strip().splitlines()[-1])
