"""Bad specs are refused before generation, one line per problem naming where it is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scripts.spec_checks import pointer, problems

ROOT = Path(__file__).resolve().parents[2]
NORMALIZED = json.loads(
    (ROOT / "generated" / "meibel_api_v2" / "openapi.json").read_text(encoding="utf-8")
)


def _spec() -> dict[str, Any]:
    return copy.deepcopy(NORMALIZED)


def _operation(spec: dict[str, Any], operation_id: str) -> tuple[str, str, dict[str, Any]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return path, method, operation
    raise LookupError(operation_id)


@pytest.mark.spec
def test_the_committed_spec_has_no_problems() -> None:
    assert problems(_spec()) == []


def test_a_duplicate_operation_id_names_both_operations() -> None:
    spec = _spec()
    path, method, operation = _operation(spec, "listAgents")
    operation["operationId"] = "listSessions"
    other_path, other_method, _ = _operation(spec, "listSessions")
    lines = [line for line in problems(spec) if "operationId" in line]
    assert len(lines) == 1
    [line] = lines
    assert "'listSessions'" in line
    assert {pointer("paths", path, method, "operationId"), f"{other_method.upper()} {other_path}"}
    assert f"{method.upper()} {path}" in line or f"{other_method.upper()} {other_path}" in line


def test_a_dangling_ref_names_the_missing_schema_and_where_it_is() -> None:
    spec = _spec()
    path, method, operation = _operation(spec, "getIngestStatus")
    media = operation["responses"]["200"]["content"]["application/json"]
    media["schema"] = {"$ref": "#/components/schemas/IngestStatusV3"}
    [line] = problems(spec)
    where = pointer("paths", path, method, "responses", "200", "content", "application/json")
    assert line.startswith(f"{where}/schema/$ref: ")
    assert "'IngestStatusV3'" in line


def test_two_operations_with_one_python_name() -> None:
    spec = _spec()
    _, _, operation = _operation(spec, "getDatasource")
    operation["operationId"] = "get_datasource_"  # snake case of both: get_datasource
    spec["paths"]["/datasources/{datasource_id}"]["put"]["operationId"] = "GetDatasource"
    [line] = [line for line in problems(spec) if "both become" in line]
    assert "client.datasources.get_datasource()" in line


def test_a_parameter_named_like_a_per_call_option() -> None:
    spec = _spec()
    path, method, operation = _operation(spec, "listAgents")
    operation["parameters"].append(
        {"in": "query", "name": "timeout", "required": False, "schema": {"type": "integer"}}
    )
    [line] = problems(spec)
    assert line.startswith(pointer("paths", path, method, "parameters"))
    assert "per-call option timeout=" in line


@pytest.mark.parametrize("change", ["rename_in_path", "drop_parameter"])
def test_path_template_and_parameters_must_agree(change: str) -> None:
    spec = _spec()
    path, method, operation = _operation(spec, "getSession")
    if change == "rename_in_path":
        spec["paths"]["/sessions/{id}"] = spec["paths"].pop(path)
        path = "/sessions/{id}"
        expected = ["{id} is in the path", "'session_id' is not in the path template"]
    else:
        operation["parameters"] = []
        expected = ["{session_id} is in the path but no path parameter declares it"]
    lines = problems(spec)
    assert all(line.startswith(pointer("paths", path, method)) for line in lines)
    assert len(lines) == len(expected)
    for line, text in zip(lines, expected, strict=True):
        assert text in line


def test_the_spec_validator_runs_too() -> None:
    spec = _spec()
    path, method, operation = _operation(spec, "listAgents")
    operation["responses"]["200"]["content"]["application/json"]["schema"] = {"type": 12}
    [line] = problems(spec)
    assert line.startswith(pointer("paths", path, method, "responses", "200"))
    assert line.endswith("(openapi-spec-validator)")
