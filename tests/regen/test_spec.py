"""The vendored spec keeps the vendor's own fragments (seeds 001-003) exactly as published."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FRAGMENTS = sorted((Path(__file__).parents[1] / "fixtures" / "spec_fragments").glob("*.yaml"))


@pytest.fixture(scope="module")
def vendored() -> dict[str, Any]:
    return json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=lambda p: p.stem)
def test_vendor_fragment_is_verbatim(fragment: Path, vendored: dict[str, Any]) -> None:
    published = yaml.safe_load(fragment.read_text(encoding="utf-8"))
    for key in ("openapi", "servers", "security"):
        assert vendored[key] == published[key], key
    # A vendor release moves the version and may add tags; the rest stays as published.
    assert {**vendored["info"], "version": ""} == {**published["info"], "version": ""}
    assert [tag for tag in vendored["tags"] if tag in published["tags"]] == published["tags"]
    for path, item in published["paths"].items():
        for method, operation in item.items():
            assert vendored["paths"][path][method] == operation, f"{method} {path}"
    for name, schema in published["components"]["schemas"].items():
        assert vendored["components"]["schemas"][name] == schema, name
    assert vendored["components"]["securitySchemes"] == published["components"]["securitySchemes"]


def test_fragments_cover_the_three_seed_operations() -> None:
    operation_ids = set()
    for fragment in FRAGMENTS:
        for item in yaml.safe_load(fragment.read_text(encoding="utf-8"))["paths"].values():
            operation_ids |= {operation["operationId"] for operation in item.values()}
    assert operation_ids == {"sendChatMessage", "sendChatMessageStream", "getSessionMessages"}
