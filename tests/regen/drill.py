"""The bump drill: a copy of the project, a spec bump merged into its vendored spec, regenerated.

tests/regen/test_bump_drill.py runs it and checks the copy; `make drill` runs it, then the
copy's whole `make test` (docs/regenerating.md, "Rehearsing a bump").

Usage: python tests/regen/drill.py [--test] [FRAGMENT.json]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FRAGMENT = ROOT / "tests" / "fixtures" / "bump-batches.json"
# Never copied: environments, caches and what git ignores anyway.
_SKIP = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".egg-info", ".pyc")


def copy_project(destination: Path, source: Path = ROOT) -> Path:
    """Copy the project's sources (not its .venv, .git or caches) to `destination`."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {name for name in names if name in _SKIP or name.endswith(_SKIP_SUFFIXES)}

    shutil.copytree(source, destination, ignore=ignore)
    return destination


def merge(spec: dict[str, Any], fragment: dict[str, Any]) -> dict[str, Any]:
    """`spec` with the fragment's paths, schemas and tags added and its info applied.

    A fragment may add operations to an existing path; it may not replace an operation or a
    schema of the spec (a bump that changes one is another drill), so a clash raises ValueError.
    """
    merged = json.loads(json.dumps(spec))
    merged["info"].update(fragment.get("info", {}))
    paths = merged.setdefault("paths", {})
    for path, item in fragment.get("paths", {}).items():
        existing = paths.setdefault(path, {})
        clash = sorted(set(existing) & set(item))
        if clash:
            raise ValueError(f"the fragment replaces {', '.join(clash)} {path}")
        existing.update(item)
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in fragment.get("components", {}).get("schemas", {}).items():
        if name in schemas:
            raise ValueError(f"the fragment replaces the schema {name}")
        schemas[name] = schema
    tags = merged.setdefault("tags", [])
    known = {tag["name"] for tag in tags}
    tags += [tag for tag in fragment.get("tags", []) if tag["name"] not in known]
    return merged


def bump(project: Path, fragment: Path = FRAGMENT) -> None:
    """Merge `fragment` into the project's openapi/api-v2.json, as a vendor release would."""
    spec_path = project / "openapi" / "api-v2.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    added = json.loads(fragment.read_text(encoding="utf-8"))
    spec_path.write_text(json.dumps(merge(spec, added), indent=2) + "\n", encoding="utf-8")


def environment(project: Path) -> dict[str, str]:
    """The environment that runs the copy: its meibel/ and generated/ first on the path (the
    project's .venv has the original's installed in editable mode)."""
    path = os.pathsep.join([str(project), str(project / "generated")])
    return {**os.environ, "PYTHONPATH": path, "PYTHON": sys.executable}


def regen(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.regen"],
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        check=False,
    )


def hand_steps(project: Path) -> list[str]:
    """What every bump changes by hand (docs/regenerating.md), done to the copy: the spec's
    version in the `meibel --version` output docs/installing.md shows."""
    spec = json.loads((project / "openapi" / "api-v2.json").read_text(encoding="utf-8"))
    version = str(spec["info"]["version"])
    edits = {
        "docs/installing.md": (r"\(Meibel API [\w.]+\)", f"(Meibel API {version})"),
    }
    done = []
    for name, (pattern, replacement) in edits.items():
        path = project / name
        text, count = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), flags=re.M)
        path.write_text(text, encoding="utf-8")
        done.append(f"{name}: {replacement} ({count} {'place' if count == 1 else 'places'})")
    return done


def _own_environment() -> dict[str, str]:
    """The environment of the copy's own .venv: nothing pointing back at this checkout's. The
    copy's spec is bumped already, so its own drill test (which bumps the spec) is left out."""
    skip = ("PYTHONPATH", "PYTHON", "VIRTUAL_ENV", "PYTEST_ADDOPTS")
    own = {name: value for name, value in os.environ.items() if name not in skip}
    return {**own, "PYTEST_ADDOPTS": "--ignore=tests/regen/test_bump_drill.py"}


def main(argv: list[str]) -> int:
    full_suite = "--test" in argv
    fragments = [Path(arg) for arg in argv if not arg.startswith("--")]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="meibel-drill-") as tmp:
        project = copy_project(Path(tmp) / "project")
        for fragment in fragments or [FRAGMENT]:
            bump(project, fragment)
        result = regen(project)
        print(result.stdout, end="")
        print(result.stderr, end="", file=sys.stderr)
        if result.returncode != 0:
            print(f"drill: regen failed ({result.returncode}) in {project}", file=sys.stderr)
            return result.returncode
        print(f"drill: regenerated in {time.monotonic() - started:.0f} s")
        for step in hand_steps(project):
            print(f"drill: by hand, as on every bump: {step}")
        if full_suite:
            # A venv of the copy's own: tests that build and install a wheel must not see this one.
            for target in ("install", "test"):
                run = subprocess.run(
                    ["make", "--no-print-directory", target], cwd=project, env=_own_environment()
                )
                if run.returncode != 0:
                    break
            took = time.monotonic() - started
            print(f"drill: make {target} exited {run.returncode} after {took:.0f} s")
            return run.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
