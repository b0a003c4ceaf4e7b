"""`make regen` refuses a spec that breaks what a waiter relies on beyond a field's existence.

Each test mutates a copy of the normalised spec the way a vendor bump could, and checks that
scripts/overlay_checks.py (what regen runs before generating) names the break in one line: the
JSON pointer of what changed, the waiter, and the file that relies on it. Where the code handles
both shapes (a nullable state), it accepts the spec.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from project_copy import bump

from meibel._waiters import INGEST_OUTCOMES, WAITERS
from scripts import overlay_checks

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "generated" / "meibel_api_v2" / "openapi.json").read_text("utf-8"))
SCHEMAS = "/components/schemas"


def _problems(change: Callable[[dict[str, Any]], None]) -> list[str]:
    spec = copy.deepcopy(SPEC)
    change(spec)
    return overlay_checks.problems(spec)


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def _operation(spec: dict[str, Any], operation_id: str) -> tuple[str, dict[str, Any]]:
    for path, item in spec["paths"].items():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return path, operation
    raise LookupError(operation_id)


def test_the_current_spec_breaks_no_waiter() -> None:
    assert overlay_checks.problems(copy.deepcopy(SPEC)) == []


def test_an_enum_value_the_outcomes_do_not_decide_is_refused() -> None:
    def add_paused(spec: dict[str, Any]) -> None:
        _schema(spec, "IngestStatus")["enum"].append("paused")

    assert _problems(add_paused) == [
        f"{SCHEMAS}/IngestStatus/enum: IngestStatusResponse.status can be 'paused', which "
        "ingest.wait's outcomes in meibel/_waiters.py do not decide: say whether each ends the "
        "wait (True, False or None: not yet)"
    ]


def test_every_value_of_the_ingest_enum_is_decided_now() -> None:
    assert set(_schema(SPEC, "IngestStatus")["enum"]) <= set(INGEST_OUTCOMES)


def test_an_enum_state_turned_plain_string_is_refused() -> None:
    def plain(spec: dict[str, Any]) -> None:
        _schema(spec, "IngestStatusResponse")["properties"]["status"] = {"type": "string"}

    assert _problems(plain) == [
        f"{SCHEMAS}/IngestStatusResponse/properties/status: IngestStatusResponse.status is no "
        "longer the enum IngestStatus (now a plain string); meibel/_waiters.py decides each of "
        "its values for ingest.wait"
    ]


def test_a_state_that_is_no_longer_a_string_is_refused() -> None:
    def integer(spec: dict[str, Any]) -> None:
        _schema(spec, "DeepTransformJob")["properties"]["status"] = {"type": "integer"}

    assert _problems(integer) == [
        f"{SCHEMAS}/DeepTransformJob/properties/status: DeepTransformJob.status is now integer, "
        "not a string; meibel/_waiting.py reads it as the job's state for "
        "documents.wait_for_deep_transform"
    ]


def test_a_string_state_turned_enum_must_have_each_value_decided() -> None:
    def enum(spec: dict[str, Any]) -> None:
        states = ["queued", "processing", "completed", "failed"]
        _schema(spec, "DocumentStatus")["properties"]["status"] = {
            "type": "string",
            "enum": states,
        }

    (line,) = _problems(enum)
    assert line.startswith(f"{SCHEMAS}/DocumentStatus/properties/status: ")
    assert "'queued', 'processing'" in line
    assert "documents.wait's outcomes in meibel/_waiters.py" in line


def test_a_nullable_state_is_read_as_it_was() -> None:
    # The state machine reads str(status) either way; None is "not yet".
    def nullable(spec: dict[str, Any]) -> None:
        properties = _schema(spec, "IngestStatusResponse")["properties"]
        properties["status"] = {"anyOf": [properties["status"], {"type": "null"}]}
        properties = _schema(spec, "ScoringJobResponse")["properties"]
        properties["status"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

    assert _problems(nullable) == []


def test_an_error_field_that_is_no_longer_a_string_is_refused() -> None:
    def structured(spec: dict[str, Any]) -> None:
        _schema(spec, "DocumentStatus")["properties"]["error"] = {"type": "object"}

    assert _problems(structured) == [
        f"{SCHEMAS}/DocumentStatus/properties/error: DocumentStatus.error is now object, not a "
        "string; meibel/_waiting.py reports it as the error of a failed job (documents.wait)"
    ]


def test_a_field_a_waiter_reads_that_is_gone_is_refused() -> None:
    def drop(spec: dict[str, Any]) -> None:
        del _schema(spec, "ScoringJobResponse")["properties"]["explanation"]

    assert _problems(drop) == [
        f"{SCHEMAS}/ScoringJobResponse/properties/explanation: ScoringJobResponse.explanation is "
        "gone; meibel/_waiting.py needs it"
    ]


def test_a_status_operation_answering_another_model_is_refused() -> None:
    def other(spec: dict[str, Any]) -> None:
        _, operation = _operation(spec, "getScoringJob")
        media = operation["responses"]["200"]["content"]["application/json"]
        media["schema"] = {"$ref": "#/components/schemas/DeepTransformJob"}

    assert _problems(other) == [
        "/paths/~1confidence-scoring~1job~1{job_id}/get/responses/200: getScoringJob now "
        "answers DeepTransformJob, not ScoringJobResponse; confidence_scoring.wait "
        "(meibel/_waiters.py) returns it and reads its state"
    ]


def test_renamed_ids_are_refused() -> None:
    def rename(spec: dict[str, Any]) -> None:
        path, operation = _operation(spec, "getDocumentStatus")
        for parameter in operation["parameters"]:
            if parameter["name"] == "job_id":
                parameter["name"] = "document_id"
        spec["paths"][path.replace("{job_id}", "{document_id}")] = spec["paths"].pop(path)

    assert _problems(rename) == [
        "/paths/~1documents~1{document_id}/get/parameters: getDocumentStatus's path parameters "
        "are now document_id, not job_id; documents.wait (meibel/_waiters.py) takes and passes "
        "those"
    ]


def test_an_operation_moved_to_another_namespace_is_refused() -> None:
    def move(spec: dict[str, Any]) -> None:
        _, operation = _operation(spec, "streamUploadProgress")
        operation["tags"] = ["datasources"]

    assert _problems(move) == [
        "/paths/~1datasources~1uploads~1{upload_id}~1progress/get/tags: streamUploadProgress "
        "is now in namespace datasources; file_upload.wait (meibel/_waiters.py) calls it on its "
        "own namespace"
    ]


def test_a_status_operation_that_is_gone_is_refused() -> None:
    def remove(spec: dict[str, Any]) -> None:
        path, _ = _operation(spec, "getIngestStatus")
        del spec["paths"][path]

    assert _problems(remove) == [
        "/paths: operation getIngestStatus is gone; meibel/_waiters.py needs it (as a plain method)"
    ]


@pytest.mark.parametrize("waiter", WAITERS, ids=lambda waiter: waiter.key)
def test_an_operation_named_like_a_waiter_is_refused(waiter: Any) -> None:
    def add(spec: dict[str, Any]) -> None:
        spec["paths"]["/clash/{clash_id}"] = {
            "post": {
                "operationId": waiter.method,
                "tags": [waiter.namespace],
                "parameters": [
                    {
                        "name": "clash_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {"204": {"description": "No Content"}},
            }
        }

    problems = _problems(add)
    assert problems == [
        f"/paths/~1clash~1{{clash_id}}/post: {waiter.method} would be client.{waiter.key}, "
        "which is a waiter (meibel/_waiters.py)"
    ]


def test_make_regen_refuses_such_a_spec_and_changes_nothing(
    project: Path,
) -> None:
    before = (project / "generated" / "API.md").read_text("utf-8")

    def add_paused(spec: dict[str, Any]) -> None:
        _schema(spec, "IngestStatus")["enum"].append("paused")

    result = bump(project, add_paused)

    assert result.returncode != 0
    refused = [line for line in result.stderr.splitlines() if line.startswith("regen: refused")]
    assert refused == [
        f"regen: refused: {SCHEMAS}/IngestStatus/enum: IngestStatusResponse.status can be "
        "'paused', which ingest.wait's outcomes in meibel/_waiters.py do not decide: say whether "
        "each ends the wait (True, False or None: not yet)"
    ]
    assert (project / "generated" / "API.md").read_text("utf-8") == before
