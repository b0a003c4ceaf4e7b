"""Valid values built from the spec's JSON Schemas, deterministically.

Every property is filled in (optional ones too, down to a depth limit), so a call exercises as much
of the generated serialisation as the schema allows; `anyOf` takes its first non-null branch. The
values are checked against their schemas by the caller, so a builder mistake cannot pass for an
SDK bug.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
# Beyond this nesting only required properties are filled in (the schemas are recursive).
FULL_DEPTH = 4
_FORMATS = {
    "date-time": "2026-11-22T10:00:00Z",
    "date": "2026-11-22",
    "uuid": "0" * 8 + "-0000-4000-8000-" + "0" * 12,
}


class Values:
    def __init__(self, spec: JSON) -> None:
        self.spec = spec

    def resolve(self, schema: JSON) -> JSON:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def files(self, schema: JSON) -> str | None:
        """ "one" for a file property, "many" for an array of files, None for anything else."""
        schema = self.resolve(schema)
        for branch in schema.get("anyOf", ()):
            if kind := self.files(branch):
                return kind
        if schema.get("type") == "array":
            return "many" if self.files(schema.get("items", {})) else None
        return "one" if schema.get("format") == "binary" or "contentMediaType" in schema else None

    def value(self, schema: JSON, name: str = "value", depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return next((v for v in schema["enum"] if v is not None), None)
        if schema.get("default") is not None:
            return schema["default"]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = [b for b in schema[key] if self.resolve(b).get("type") != "null"]
                return self.value(branches[0], name, depth) if branches else None
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            required = set(schema.get("required", ()))
            return {
                key: self.value(sub, key, depth + 1)
                for key, sub in schema.get("properties", {}).items()
                if key in required or depth < FULL_DEPTH
            }
        if kind == "array":
            return [self.value(schema.get("items", {}), name, depth + 1)]
        if kind == "string":
            return _FORMATS.get(schema.get("format", ""), f"{name}-1")
        return {"integer": 1, "number": 1.5, "boolean": True, "null": None}[kind]
