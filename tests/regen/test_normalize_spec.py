"""The normalisation step: each vendor quirk, input fragment -> fixed fragment."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from scripts.normalize_spec import (
    fix_binary_content_media_type,
    fix_discriminator_mapping,
    fix_nullable_keyword,
    normalize,
)

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "openapi" / "api-v2.json"


def _doc(schemas: dict[str, Any], openapi: str = "3.1.0") -> dict[str, Any]:
    return {"openapi": openapi, "components": {"schemas": schemas}}


def test_discriminator_mapping_objects_become_ref_strings() -> None:
    spec = _doc(
        {
            "Event": {
                "oneOf": [{"$ref": "#/components/schemas/A"}],
                "discriminator": {
                    "propertyName": "event",
                    "mapping": {
                        "a": {"$ref": "#/components/schemas/A"},
                        "b": "#/components/schemas/B",
                    },
                },
            }
        }
    )
    changed = fix_discriminator_mapping(spec)
    mapping = spec["components"]["schemas"]["Event"]["discriminator"]["mapping"]
    assert mapping == {"a": "#/components/schemas/A", "b": "#/components/schemas/B"}
    assert changed == ["/components/schemas/Event/discriminator/mapping/a"]


def test_binary_content_media_type_gains_format_binary() -> None:
    spec = _doc(
        {
            "Body_upload": {
                "properties": {
                    "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "contentMediaType": "application/pdf"},
                    },
                    "note": {"type": "string", "contentMediaType": "text/plain"},
                    "doc": {"type": "string", "contentMediaType": "application/json"},
                    "b64": {
                        "type": "string",
                        "contentMediaType": "image/png",
                        "contentEncoding": "base64",
                    },
                }
            }
        }
    )
    changed = fix_binary_content_media_type(spec)
    props = spec["components"]["schemas"]["Body_upload"]["properties"]
    assert props["file"] == {
        "type": "string",
        "contentMediaType": "application/octet-stream",
        "format": "binary",
    }
    assert props["files"]["items"]["format"] == "binary"
    assert "format" not in props["note"]
    assert "format" not in props["doc"]
    assert "format" not in props["b64"]
    assert len(changed) == 2


def test_nullable_keyword_becomes_anyof_null_in_31_documents() -> None:
    spec = _doc(
        {"Source": {"properties": {"url": {"type": "string", "nullable": True, "title": "Url"}}}}
    )
    fix_nullable_keyword(spec)
    assert spec["components"]["schemas"]["Source"]["properties"]["url"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "title": "Url",
    }


def test_nullable_false_is_dropped_and_30_documents_are_left_alone() -> None:
    spec = _doc({"S": {"properties": {"x": {"type": "string", "nullable": False}}}})
    fix_nullable_keyword(spec)
    assert spec["components"]["schemas"]["S"]["properties"]["x"] == {"type": "string"}

    legacy = _doc({"S": {"type": "string", "nullable": True}}, openapi="3.0.3")
    assert fix_nullable_keyword(legacy) == []
    assert legacy["components"]["schemas"]["S"] == {"type": "string", "nullable": True}


def test_normalize_copies_and_is_idempotent() -> None:
    vendored = json.loads(VENDORED.read_text(encoding="utf-8"))
    pristine = copy.deepcopy(vendored)
    once, report = normalize(vendored)
    assert vendored == pristine, "the vendored document must never be modified"
    assert all(report.values()), f"every quirk is present in the vendored spec: {report}"
    twice, second_report = normalize(once)
    assert twice == once
    assert not any(second_report.values())


def test_vendored_spec_is_invalid_and_normalised_spec_is_valid() -> None:
    vendored = json.loads(VENDORED.read_text(encoding="utf-8"))
    with pytest.raises(OpenAPIValidationError, match="is not of type 'string'"):
        validate(vendored)
    validate(normalize(vendored)[0])
