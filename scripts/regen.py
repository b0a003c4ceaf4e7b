"""Regenerate generated/ from openapi/api-v2.json.

Steps: check the pinned generator and formatter versions; normalise the vendored spec on a copy
(scripts/normalize_spec.py); refuse it, changing nothing, when scripts/spec_checks.py finds
problems, scripts/spec_extras.py a vendor call shape it cannot express (code samples,
openapi/vendor-names.json) or scripts/overlay_checks.py a need of meibel/ (meibel/_needs.py)
it breaks; plan every method (scripts/plan.py); run openapi-python-client with
openapi/generator.yaml and the custom templates in openapi/templates, plus the plans and the
facts of scripts/spec_extras.py; fail on any generator warning; remove the outputs meibel never
uses (DROPPED); stamp every generated module as generated; write API.md (scripts/api_index.py);
compare the generated surface with the previous one (scripts/api_changes.py), print it and write
it to CHANGELOG.md; then replace generated/, print which operations meibel.testing's fake
answers from the spec alone (no hand-written handler), and write docs/migrating-from-meibel-2.md
(scripts/migration_guide.py).

Run it through scripts/regen.sh or `make regen`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from . import (
    api_changes,
    migration_guide,
    normalize_spec,
    overlay_checks,
    plan,
    spec_checks,
    spec_extras,
)
from ._api_surface import operations as spec_operations
from .prose import words

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "api-v2.json"
CONFIG = ROOT / "openapi" / "generator.yaml"
TEMPLATES = ROOT / "openapi" / "templates"
OUTPUT = ROOT / "generated"
PACKAGE = "meibel_api_v2"
# The spec exactly as the generator saw it, shipped in the package for meibel.testing.
NORMALIZED_SPEC = f"{PACKAGE}/openapi.json"
PLANS = f"{PACKAGE}/plans.json"  # scripts/plan.py's plans, for the fake and the CLI
# What the generator always writes and meibel never calls: its low-level client and that client's
# errors. Their templates render nothing; regen removes the empty files (docs/decisions.md).
DROPPED = ("client.py", "errors.py")

README = """\
# generated/

Output of `scripts/regen.sh` (`make regen`): never edit these files by hand.

- `{package}/`: what openapi-python-client {generator_version} generates from the normalised
  spec, through the templates in `openapi/templates/`: the models (`models/`), the namespaces
  of `MeibelClient` with a method per operation (`api/<tag>/__init__.py`), and per operation
  the request it sends and the parser of its answer (`api/<tag>/<operation>.py`). It is not a
  client and sends nothing: `meibel/` is the client, and the generator's own low-level client
  is not generated (`DROPPED` in `scripts/regen.py`; docs/decisions.md).
- `API.md`: every method of the client, one line each: review it on a spec bump.
- `{spec}`: the spec exactly as the generator saw it, i.e. `openapi/api-v2.json` after
  `scripts/normalize_spec.py`. Regeneration compares against it to print the API change, and
  `meibel.testing` validates its fake responses with it.

To change what is generated, change `openapi/api-v2.json` (vendor updates only),
`scripts/normalize_spec.py`, `openapi/generator.yaml` or `openapi/templates/`, then run
`make regen`. CI runs `make check-regen`, which fails when generated/ differs from a fresh run.
"""


def _pins() -> dict[str, str]:
    """The exact versions pinned in pyproject.toml's dev extra."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {}
    for requirement in pyproject["project"]["optional-dependencies"]["dev"]:
        name, _, pinned = requirement.partition("==")
        pins[name.strip()] = pinned.strip()
    return pins


def _check_tool_versions() -> str:
    pins = _pins()
    for tool in ("openapi-python-client", "ruff"):
        installed = version(tool)
        if installed != pins[tool]:
            raise SystemExit(
                f"regen: {tool} {installed} is installed but pyproject.toml pins {pins[tool]}; "
                "run `make install` first."
            )
    return pins["openapi-python-client"]


def _generate(spec_path: Path, templates: Path, out_dir: Path) -> None:
    env = dict(os.environ)
    # The generator's post-hooks call `ruff`: make it the pinned one from this environment.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(spec_path),
            "--config",
            str(CONFIG),
            "--custom-template-path",
            str(templates),
            "--meta",
            "none",
            "--output-path",
            str(out_dir),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=spec_path.parent,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    noisy = [line for line in output.splitlines() if line and not line.startswith("Generating ")]
    if result.returncode != 0 or noisy:
        raise SystemExit(f"regen: the generator reported problems; nothing was written.\n{output}")


def _drop_unused(package_dir: Path) -> None:
    """Remove the DROPPED outputs, refusing one whose template renders something again."""
    for name in DROPPED:
        path = package_dir / name
        if path.read_text(encoding="utf-8").strip():
            raise SystemExit(
                f"regen: {PACKAGE}/{name} is not empty, but it is dropped as unused: "
                f"openapi/templates/{name}.jinja must render nothing."
            )
        path.unlink()


def _stamp(package_dir: Path, generator_version: str) -> None:
    header = (
        f"# Generated by scripts/regen.sh (openapi-python-client {generator_version}) "
        "from openapi/api-v2.json. Do not edit.\n"
    )
    for module in sorted(package_dir.rglob("*.py")):
        module.write_text(header + module.read_text(encoding="utf-8"), encoding="utf-8")


def _write_api_index(staging: Path) -> None:
    """API.md, from the freshly generated package (first on the path of a fresh interpreter)."""
    env = {**os.environ, "PYTHONPATH": f"{staging}{os.pathsep}{ROOT}"}
    subprocess.run(
        [sys.executable, "-m", "scripts.api_index", str(staging / "API.md")],
        env=env,
        check=True,
        cwd=staging,
    )


def _write_cli_table() -> None:
    """docs/cli.md's command table, from the package just written (in a fresh interpreter)."""
    env = {**os.environ, "PYTHONPATH": f"{OUTPUT}{os.pathsep}{ROOT}"}
    subprocess.run([sys.executable, "-m", "scripts.cli_commands"], env=env, check=True, cwd=ROOT)


def _words(macro: str) -> Callable[..., str]:
    """A line of what regen prints: scripts/templates/api_changes.txt.jinja."""
    return words("api_changes.txt.jinja", macro)


def fake_report(normalized: dict[str, Any]) -> str:
    """One line: the operations meibel.testing's FakeMeibel answers from the spec alone."""
    from meibel.testing import FakeMeibel  # the package as generated before this run

    return _words("fake_generic")(FakeMeibel(_spec=normalized).generic_operations())


def main() -> int:
    generator_version = _check_tool_versions()
    vendored = json.loads(SPEC.read_text(encoding="utf-8"))
    normalized, report = normalize_spec.normalize(vendored)
    for fix, pointers in report.items():
        print(_words("normalised")(fix, len(pointers)))
    refused = spec_checks.problems(normalized)
    refused = refused or spec_extras.problems(normalized)
    # Before the overlay's checks: they plan every operation, which needs these names.
    refused = refused or plan.check_vendor_names(normalized, plan.vendor_names())
    refused = refused or overlay_checks.problems(normalized)
    if refused:
        for line in refused:
            print(f"regen: refused: {line}", file=sys.stderr)
        raise SystemExit(_words("refused")(len(refused)))

    with tempfile.TemporaryDirectory(prefix="meibel-regen-") as tmp:
        staging = Path(tmp) / "generated"
        staging.mkdir()
        spec_path = Path(tmp) / "openapi.json"
        spec_path.write_text(normalize_spec.dumps(normalized), encoding="utf-8")
        # The templates plus the facts the generator drops (scripts/spec_extras.py).
        templates = Path(tmp) / "templates"
        shutil.copytree(TEMPLATES, templates)
        (templates / "spec_extras.jinja").write_text(
            spec_extras.render(normalized), encoding="utf-8"
        )
        # What each method is, decided in Python (scripts/plan.py), printed by the templates.
        (templates / "plans.jinja").write_text(plan.render(normalized), encoding="utf-8")
        _generate(spec_path, templates, staging / PACKAGE)
        _drop_unused(staging / PACKAGE)
        _stamp(staging / PACKAGE, generator_version)
        shutil.copy2(spec_path, staging / NORMALIZED_SPEC)
        (staging / PLANS).write_text(plan.dumps(normalized), encoding="utf-8")
        _write_api_index(staging)
        (staging / "README.md").write_text(
            README.format(
                package=PACKAGE, spec=NORMALIZED_SPEC, generator_version=generator_version
            ),
            encoding="utf-8",
        )

        # What a caller sees, read from the generated code before and after: scripts/api_changes.py
        changes: list[str] = []
        if (OUTPUT / PACKAGE).exists():
            surface = api_changes.compare(api_changes.load(OUTPUT), api_changes.load(staging))
            changes = api_changes.report(surface, api_changes.package_version(ROOT))
            print(api_changes.heading(surface))
            for line in changes:
                print(f"  {line}")

        if OUTPUT.exists():
            shutil.rmtree(OUTPUT)
        shutil.copytree(staging, OUTPUT)

    operations = len(spec_operations(normalized))
    models = len(normalized.get("components", {}).get("schemas", {}))
    print(_words("written")(PACKAGE, operations, models))
    print(fake_report(normalized))
    spec_version = normalized.get("info", {}).get("version", "unknown")
    if api_changes.write_changelog(ROOT / "CHANGELOG.md", spec_version, changes):
        print(_words("changelog_written")(spec_version))
    migration_guide.write(normalized)  # docs/migrating-from-meibel-2.md
    _write_cli_table()  # docs/cli.md
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
