"""The vendor SDK meibel==2.0.7 in a scratch venv outside the repo (its import name is ours too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VENDOR_VERSION = "2.0.7"
VENV = Path(
    os.environ.get("MEIBEL_BENCH_VENDOR_VENV", f"/tmp/meibel-bench/vendor-{VENDOR_VERSION}")
)


def vendor_python() -> Path | None:
    """The scratch venv's python with the vendor SDK installed, or None if it cannot be made."""
    python = VENV / "bin" / "python"
    check = [
        str(python),
        "-c",
        f"import importlib.metadata as m; assert m.version('meibel') == '{VENDOR_VERSION}'",
    ]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"meibel=={VENDOR_VERSION}"],
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"vendor SDK unavailable: {error}", file=sys.stderr)
        return None
    return python
