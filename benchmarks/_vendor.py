"""The vendor SDK meibel==2.0.7 in a scratch venv outside the repo (its import name is ours too).

The venv is `$MEIBEL_BENCH_VENDOR_VENV`, by default /tmp/meibel-bench/vendor-2.0.7, made on first
use with `python3 -m venv` and `pip install meibel==2.0.7`. Scripts run in it from a directory
outside the repo, so `import meibel` finds the vendor's package and never ours.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from _measure import foreign_env

VENDOR_VERSION = "2.0.7"
VENDOR_NAME = f"meibel=={VENDOR_VERSION}"
VENV = Path(
    os.environ.get("MEIBEL_BENCH_VENDOR_VENV", f"/tmp/meibel-bench/vendor-{VENDOR_VERSION}")
)
# Installed, the right version, and imported from the venv itself.
_CHECK = f"""
import importlib.metadata, sys, meibel
assert importlib.metadata.version("meibel") == "{VENDOR_VERSION}"
assert meibel.__file__.startswith(sys.prefix)
"""


def _ready(python: Path) -> bool:
    check = [str(python), "-c", _CHECK]
    return (
        python.exists()
        and subprocess.run(
            check, capture_output=True, cwd="/tmp", env=foreign_env(python)
        ).returncode
        == 0
    )


@functools.cache
def vendor_python() -> Path | None:
    """The scratch venv's python with the vendor SDK installed, or None if it cannot be made."""
    python = VENV / "bin" / "python"
    if _ready(python):
        return python
    print(f"installing {VENDOR_NAME} into {VENV} ...", file=sys.stderr, flush=True)
    try:
        base = shutil.which("python3") or sys.executable
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, VENDOR_NAME], check=True, cwd="/tmp", env=foreign_env(python))
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"vendor SDK unavailable: {error}", file=sys.stderr)
        return None
    return python if _ready(python) else None
