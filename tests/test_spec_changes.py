"""The API-change summary that regeneration prints on a spec bump."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from spec_changes import summarize

ROOT = Path(__file__).resolve().parent.parent


def _spec() -> dict[str, Any]:
    return json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))


def test_same_spec_has_no_changes() -> None:
    assert summarize(_spec(), _spec()) == []


def test_added_removed_and_changed_operations_and_models() -> None:
    old = _spec()
    new = copy.deepcopy(old)
    new["paths"]["/agents/{agent_id}/clone"] = {
        "post": {"operationId": "cloneAgent", "responses": {"200": {"description": "OK"}}}
    }
    del new["paths"]["/agents/{agent_id}/publish"]
    new["paths"]["/agents"]["get"]["summary"] = "List every agent"
    schemas = new["components"]["schemas"]
    schemas["CloneRequest"] = {"type": "object", "properties": {}}
    del schemas["ArtifactSchemaResponse"]["properties"]["created_at"]
    schemas["Source"]["properties"]["language"] = {"type": "string", "title": "Language"}
    schemas["IngestStatus"]["enum"] = [*schemas["IngestStatus"]["enum"], "paused"]

    text = "\n".join(summarize(old, new))

    assert "operations: +1 -1 ~1" in text
    assert "  + cloneAgent" in text
    assert "  - publishAgent  [BREAKING]" in text
    assert "  ~ listAgents: ~summary\n" in text + "\n"
    assert "  + CloneRequest" in text
    assert "  ~ ArtifactSchemaResponse: -created_at  [BREAKING]" in text
    assert "  ~ Source: +language\n" in text + "\n"
    assert "  ~ IngestStatus: +enum paused\n" in text + "\n"


def test_parameter_made_required_and_enum_value_removed_are_breaking() -> None:
    old = _spec()
    new = copy.deepcopy(old)
    limit = next(p for p in new["paths"]["/agents"]["get"]["parameters"] if p["name"] == "limit")
    limit["required"] = True
    new["components"]["schemas"]["IngestStatus"]["enum"].remove("unknown")

    text = "\n".join(summarize(old, new))

    assert "~ listAgents: ~param query:limit (now required)  [BREAKING]" in text
    assert "~ IngestStatus: -enum unknown  [BREAKING]" in text
