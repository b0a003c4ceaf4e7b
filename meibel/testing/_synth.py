"""Values made from the spec's schemas: deterministic, and valid for the schema they are made for.

A value comes from the schema's `const`, `examples`, `example` or `default` (when valid), its
first enum value, or its type (formats get a fixed value of their kind); an object gets its
required properties. `fill` keeps the known fields of a record that the schema has and that are
valid for it, and makes the required ones it lacks.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from ._schema import Spec, child

__all__ = ["FIXED_TIME", "Synth"]

FIXED_TIME = "2024-01-01T00:00:00Z"
_FORMATS = {
    "date-time": FIXED_TIME,
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "duration": "PT1S",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri": "https://example.com/",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "byte": "",
    "binary": "",
    "password": "secret",
}
_MAX_DEPTH = 12


class Synth:
    """Makes values for the schemas of one spec (pointers into its document)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def resolve(self, pointer: str) -> tuple[str, Any]:
        """The pointer and schema at `pointer`, its `$ref`s followed."""
        schema = self.spec.node(pointer)
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
            pointer = schema["$ref"]
            schema = self.spec.node(pointer)
            seen += 1
        return pointer, schema

    def properties(self, pointer: str) -> dict[str, str]:
        """An object schema's property names -> their pointers (of its non-null option too)."""
        pointer, schema = self.object_schema(pointer)
        if schema is None:
            return {}
        names = schema.get("properties", {})
        return {name: child(pointer, "properties", name) for name in names}

    def object_schema(self, pointer: str) -> tuple[str, dict[str, Any] | None]:
        """The object schema at `pointer`, or its first object option (anyOf/oneOf)."""
        pointer, schema = self.resolve(pointer)
        if not isinstance(schema, dict):
            return pointer, None
        if "properties" in schema:
            return pointer, schema
        for key in ("anyOf", "oneOf"):
            for index, _ in enumerate(schema.get(key, [])):
                found = self.object_schema(child(pointer, key, str(index)))
                if found[1] is not None:
                    return found
        return pointer, None

    def array_items(self, pointer: str) -> str | None:
        """The pointer to the items of the array schema at `pointer` (or its array option)."""
        pointer, schema = self.resolve(pointer)
        if not isinstance(schema, dict):
            return None
        if schema.get("type") == "array" or "items" in schema:
            return child(pointer, "items") if isinstance(schema.get("items"), dict) else None
        for key in ("anyOf", "oneOf"):
            for index, _ in enumerate(schema.get(key, [])):
                found = self.array_items(child(pointer, key, str(index)))
                if found is not None:
                    return found
        return None

    def enum(self, pointer: str) -> list[Any]:
        """The enum values of the schema at `pointer` (or of its options)."""
        pointer, schema = self.resolve(pointer)
        if not isinstance(schema, dict):
            return []
        if isinstance(schema.get("enum"), list):
            return list(schema["enum"])
        return [
            value
            for key in ("anyOf", "oneOf")
            for index, _ in enumerate(schema.get(key, []))
            for value in self.enum(child(pointer, key, str(index)))
        ]

    def same(self, first: str, second: str) -> bool:
        """Whether two pointers name the same schema (after their `$ref`s)."""
        return self.resolve(first)[0] == self.resolve(second)[0]

    def fill(self, pointer: str, known: Mapping[str, Any]) -> Any:
        """A value for `pointer`: an object keeps the `known` fields it has that are valid for
        it, and gets the required ones it lacks made; anything else is made."""
        at, schema = self.object_schema(pointer)
        if schema is None:
            return self.value(pointer)
        required = set(schema.get("required", []))
        out: dict[str, Any] = {}
        for name in schema.get("properties", {}):
            where = child(at, "properties", name)
            if name in known and self.spec.valid(where, known[name]):
                out[name] = copy.deepcopy(known[name])
            elif name in required:
                out[name] = self.value(where, name)
        for name in required - set(out):
            out[name] = self._extra(at, schema, name)
        return out

    def value(self, pointer: str, name: str = "value", depth: int = 0) -> Any:
        """A deterministic value valid for the schema at `pointer`; `name` seeds strings."""
        pointer, schema = self.resolve(pointer)
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        examples = schema.get("examples")
        for candidate in (
            *(examples[:1] if isinstance(examples, list) else ()),
            *(schema[key] for key in ("example", "default") if key in schema),
        ):
            if self.spec.valid(pointer, candidate):
                return copy.deepcopy(candidate)
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            options = [v for v in schema["enum"] if v is not None] or schema["enum"]
            return copy.deepcopy(options[0])
        chosen = self._option(pointer, schema, name, depth)
        if chosen is not _NONE:
            return chosen
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for index, _ in enumerate(schema["allOf"]):
                part = self.value(child(pointer, "allOf", str(index)), name, depth + 1)
                if isinstance(part, dict):
                    merged.update(part)
            return merged
        return self._typed(pointer, schema, name, depth)

    def _option(self, pointer: str, schema: dict[str, Any], name: str, depth: int) -> Any:
        """A value of a oneOf/anyOf: the first option (a non-null one first) that is valid."""
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if not isinstance(options, list):
                continue
            mapping = schema.get("discriminator", {}).get("mapping", {})
            made: list[Any] = []
            if mapping:
                tag, target = next(iter(mapping.items()))
                value = self.value(target, name, depth + 1)
                if isinstance(value, dict):
                    value[schema["discriminator"]["propertyName"]] = tag
                made.append(value)
            order = sorted(range(len(options)), key=lambda i: options[i].get("type") == "null")
            made += [self.value(child(pointer, key, str(i)), name, depth + 1) for i in order]
            for value in made:
                if self.spec.valid(pointer, value):
                    return value
            return made[0] if made else None
        return _NONE

    def _typed(self, pointer: str, schema: dict[str, Any], name: str, depth: int) -> Any:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else None
        if kind == "object":
            out: dict[str, Any] = {}
            properties = schema.get("properties", {})
            for field in schema.get("required", []):
                if field in properties:
                    out[field] = self.value(child(pointer, "properties", field), field, depth + 1)
                else:
                    out[field] = self._extra(pointer, schema, field)
            return out
        if kind == "array":
            count = int(schema.get("minItems", 0))
            items = child(pointer, "items")
            return [self.value(items, name, depth + 1) for _ in range(count)]
        if kind == "string":
            return self._string(schema, name)
        if kind in ("integer", "number"):
            return _number(schema, kind)
        if kind == "boolean":
            return False
        return None

    def _extra(self, pointer: str, schema: dict[str, Any], name: str) -> Any:
        """A value for a required field that is not among the properties."""
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return self.value(child(pointer, "additionalProperties"), name)
        return name

    @staticmethod
    def _string(schema: dict[str, Any], name: str) -> str:
        text = _FORMATS.get(str(schema.get("format")), name)
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        text = text.ljust(low, "x")
        if isinstance(high, int):
            text = text[:high]
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not re.search(pattern, text):
            for candidate in ("a", "A", "0", "a-1", "A1", "abc", "x" * max(low, 1)):
                if re.search(pattern, candidate):
                    return candidate
        return text


_NONE: Any = object()


def _number(schema: dict[str, Any], kind: str) -> int | float:
    value: float = 0
    if isinstance(schema.get("minimum"), int | float):
        value = max(value, schema["minimum"])
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        value = max(value, schema["exclusiveMinimum"] + 1)
    if isinstance(schema.get("maximum"), int | float):
        value = min(value, schema["maximum"])
    if (
        isinstance(schema.get("exclusiveMaximum"), int | float)
        and value >= (schema["exclusiveMaximum"])
    ):
        value = schema["exclusiveMaximum"] - 1
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = -(-value // step) * step
    return int(value) if kind == "integer" else float(value)
