"""The bump drill (#20): the vendor adds the 20 operations its SDKs already call (batch
definitions, batch executions, execution policies; tests/fixtures/bump-batches.json), and one
`make regen` on a copy of the project makes them typed methods on both clients, reports them,
maps the migration guide's vendor methods to them, and the fake, the CLI and the spec-derived
tests follow without a hand edit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from drill import FRAGMENT, bump, copy_project, environment, regen

from scripts.spec_extras import snake

ROOT = Path(__file__).resolve().parents[2]
BUMP = json.loads(FRAGMENT.read_text(encoding="utf-8"))
NEW = sorted(
    f"{snake(operation['tags'][0])}.{snake(operation['operationId'])}"
    for item in BUMP["paths"].values()
    for operation in item.values()
)
VERSION = BUMP["info"]["version"]
OPERATIONS = len(NEW) + sum(
    len(item)
    for item in json.loads((ROOT / "openapi" / "api-v2.json").read_text())["paths"].values()
)
VENDOR = json.loads((ROOT / "openapi" / "vendor-sdk-2.0.7.json").read_text(encoding="utf-8"))
VENDOR_NEW = [
    method["call"]
    for method in VENDOR["methods"]
    if method["path"].startswith(("/batch-", "/execution-policies"))
]
ROW = re.compile(r"^\| `client\.([\w.]+)\([^`]*\)` \| (?:`client\.([\w.]+)\([^`]*\)`|none) \| ")


@pytest.fixture(scope="module")
def bumped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the project with the fragment merged into its spec and regenerated."""
    project = copy_project(tmp_path_factory.mktemp("drill") / "project")
    bump(project)
    result = regen(project)
    assert result.returncode == 0, result.stdout + result.stderr
    return project, result.stdout


def _in_copy(project: Path, what: str) -> Any:
    run = subprocess.run(
        [sys.executable, "tests/regen/bumped_calls.py", what],
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)


def test_the_fragment_adds_the_twenty_operations_the_vendor_sdk_calls() -> None:
    routes = {
        (method.upper(), re.sub(r"{[^}]+}", "{}", path))
        for path, item in BUMP["paths"].items()
        for method in item
    }
    called = {
        (m["http_method"], re.sub(r"{[^}]+}", "{}", m["path"].rstrip("/")))
        for m in VENDOR["methods"]
        if m["call"] in VENDOR_NEW
    }
    assert len(NEW) == len(VENDOR_NEW) == 20
    assert routes == called


def test_regen_reports_each_new_operation_and_writes_the_changelog(
    bumped: tuple[Path, str],
) -> None:
    project, report = bumped
    assert set(re.findall(r"^  \+ (\w+\.\w+)\(", report, re.M)) == set(NEW)
    assert "semver: minor (additions, nothing breaking)" in report
    assert f"regen: generated/meibel_api_v2 written ({OPERATIONS} operations" in report
    assert f"the API change is under [Unreleased] (spec {VERSION})." in report
    changelog = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    unreleased = changelog.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0]
    assert f"### API (regenerated from spec {VERSION})" in unreleased
    for method in NEW:
        assert f"`+ {method}(" in unreleased, method


def test_the_new_methods_are_on_both_clients_of_the_copy(bumped: tuple[Path, str]) -> None:
    project, _ = bumped
    found = _in_copy(project, "methods")
    assert Path(found["meibel"]).is_relative_to(project)  # the copy's package, not this one
    assert sorted(found["sync"]) == sorted(found["async"]) == NEW


def test_the_migration_guide_maps_the_vendor_methods_to_the_new_operations(
    bumped: tuple[Path, str],
) -> None:
    project, _ = bumped
    guide = (project / "docs" / "migrating-from-meibel-2.md").read_text(encoding="utf-8")
    rows = {match[1]: match[2] for line in guide.splitlines() if (match := ROW.match(line))}
    assert len(rows) == len(VENDOR["methods"])
    assert {call: rows[call] in NEW for call in VENDOR_NEW} == dict.fromkeys(VENDOR_NEW, True)
    assert None not in rows.values()
    methods = len(VENDOR["methods"])
    assert f"Of their {methods} methods, {methods} have their equivalent here" in guide
    assert not re.search(r"\b0 call|\b1 methods\b|other 0\b", guide)
    assert "not supported" not in guide
    assert "escape hatch" not in guide.split("## Every method", 1)[1].split("\n### ", 1)[0]


def test_the_fake_answers_each_new_operation_over_http_statefully(
    bumped: tuple[Path, str],
) -> None:
    project, _ = bumped
    seen = _in_copy(project, "fake")
    operations = seen.pop("operations")
    events = set(seen.pop("progress_events"))
    assert seen == {
        "definition_read": True,
        "definition_listed": True,
        "definition_found_by_urn": True,
        "execution_read": True,
        "execution_listed": True,
        "policy_read": True,
        "policy_listed": True,
        "policy_deleted": True,
        "policy_then": 404,
        "definition_deleted": True,
        "definition_then": 404,
        "answered": {
            "by_urn": "BatchDefinitionResponse",
            "update": "UpdateBatchDefinitionResponse",
            "versions": "GetBatchDefinitionsResponse",
            "execute": "ExecuteBatchDefinitionResponse",
            "update_execution": "BatchExecutionResponse",
            "retry": "BatchExecutionResponse",
            "cancel": "BatchExecutionResponse",
            "update_policy": "ExecutionPolicyResponse",
        },
    }
    assert events
    assert events <= {"progress", "complete"}
    assert {snake(o) for o in operations} >= {method.split(".")[1] for method in NEW}


def test_the_cli_has_a_command_for_each_new_operation(bumped: tuple[Path, str]) -> None:
    project, _ = bumped
    statuses = _in_copy(project, "cli")
    assert len(statuses) == 20
    assert statuses == dict.fromkeys(statuses, 0)


def test_the_spec_derived_tests_pass_on_the_bumped_copy(bumped: tuple[Path, str]) -> None:
    project, _ = bumped
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "spec", "-q", "-p", "no:randomly"],
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert re.search(r"\b\d{3,} passed", run.stdout), run.stdout[-500:]
