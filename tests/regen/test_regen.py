"""Regeneration: byte-for-byte reproducible, guarded by `make check-regen`, reports API change."""

from __future__ import annotations

import filecmp
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from project_copy import bump, git, operation, run

ROOT = Path(__file__).resolve().parents[2]


def _tree(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_regeneration_reproduces_the_committed_output_twice(project: Path) -> None:
    committed = _tree(ROOT / "generated")
    for _ in range(2):
        result = run([sys.executable, "-m", "scripts.regen"], project)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "API unchanged." in result.stdout
        regenerated = _tree(project / "generated")
        assert regenerated.keys() == committed.keys()
        different = [name for name in committed if committed[name] != regenerated[name]]
        assert different == []


def test_check_regen_fails_on_a_hand_edit_of_generated_code(project: Path) -> None:
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "baseline")
    clean = run(["make", "--no-print-directory", "check-regen"], project)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    model = project / "generated" / "meibel_api_v2" / "models" / "chat_message_request.py"
    model.write_text(model.read_text() + "\n# a hand edit\n")
    git(project, "commit", "-qam", "edit generated code by hand")
    edited = run(["make", "--no-print-directory", "check-regen"], project)

    assert edited.returncode != 0
    assert "generated/ differs from a fresh regeneration" in edited.stdout
    assert "chat_message_request.py" in edited.stdout


def test_regen_prints_the_api_change_of_a_spec_bump(project: Path) -> None:
    spec_path = project / "openapi" / "api-v2.json"
    spec = json.loads(spec_path.read_text())
    del spec["paths"]["/agents/{agent_id}/versions"]
    spec["components"]["schemas"]["Source"]["properties"]["language"] = {"type": "string"}
    spec_path.write_text(json.dumps(spec, indent=2))

    result = run([sys.executable, "-m", "scripts.regen"], project)

    assert result.returncode == 0, result.stderr
    assert "API change since the last generation:" in result.stdout
    assert "[BREAKING] agents.list_agent_versions: removed" in result.stdout
    assert "+ field Source.language: str | None" in result.stdout
    assert "semver: major" in result.stdout
    assert not (project / "generated/meibel_api_v2/api/agents/list_agent_versions.py").exists()
    assert (
        filecmp.cmp(
            project / "generated/meibel_api_v2/models/source.py",
            ROOT / "generated/meibel_api_v2/models/source.py",
            shallow=False,
        )
        is False
    )


def test_generator_warnings_fail_regeneration_and_keep_the_output(project: Path) -> None:
    spec_path = project / "openapi" / "api-v2.json"
    spec = json.loads(spec_path.read_text())
    # An operation whose parameter location the generator cannot handle produces a warning.
    spec["paths"]["/agents"]["get"]["parameters"].append(
        {"name": "X-Trace", "in": "header", "required": False, "schema": {"type": "object"}}
    )
    spec_path.write_text(json.dumps(spec, indent=2))
    before = _tree(project / "generated")

    result = run([sys.executable, "-m", "scripts.regen"], project)

    assert result.returncode != 0
    assert "the generator reported problems; nothing was written" in result.stderr
    assert _tree(project / "generated") == before


def _duplicate_operation_id(spec: dict[str, Any]) -> None:
    spec["paths"]["/agents"]["get"]["operationId"] = "listSessions"


def _dangling_ref(spec: dict[str, Any]) -> None:
    answer = operation(spec, "getIngestStatus")["responses"]["200"]
    answer["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/IngestStatusV3"
    }


def _rename_needed_field(spec: dict[str, Any]) -> None:
    model = spec["components"]["schemas"]["CreateSessionResponse"]
    model["properties"]["id"] = model["properties"].pop("session_id")
    model["required"] = ["id" if name == "session_id" else name for name in model["required"]]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_duplicate_operation_id, ["operationId 'listSessions' is also"]),
        (_dangling_ref, ["$ref '#/components/schemas/IngestStatusV3' resolves nowhere"]),
        (
            _rename_needed_field,
            [
                "CreateSessionResponse.session_id is gone; meibel/_model_extras.py needs it",
                "generated field CreateSessionResponse.id would shadow CreatedSessionExtras.id",
            ],
        ),
    ],
    ids=["duplicate-operation-id", "dangling-ref", "renamed-needed-field"],
)
def test_a_bad_spec_is_refused_and_nothing_is_generated(
    project: Path, change: object, expected: list[str]
) -> None:
    before = _tree(project / "generated")
    result = bump(project, change)
    assert result.returncode != 0
    refused = [line for line in result.stderr.splitlines() if line.startswith("regen: refused: ")]
    assert len(refused) == len(expected), result.stderr
    for line, text in zip(refused, expected, strict=True):
        assert text in line
        assert line.startswith("regen: refused: /"), "each line names a JSON pointer"
    assert "generated/ is unchanged" in result.stderr
    assert _tree(project / "generated") == before


def test_vendor_names_the_spec_lacks_are_refused_with_a_pointer(project: Path) -> None:
    names_path = project / "openapi" / "vendor-names.json"
    names = json.loads(names_path.read_text())
    names["fields"]["CreateDatasourceRequest"] = {"title": "label"}
    names_path.write_text(json.dumps(names))
    before = _tree(project / "generated")

    result = run([sys.executable, "-m", "scripts.regen"], project)

    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        "regen: refused: /components/schemas/CreateDatasourceRequest/properties/label: no such "
        "field; openapi/vendor-names.json fields makes title= its keyword"
    )
    assert _tree(project / "generated") == before
