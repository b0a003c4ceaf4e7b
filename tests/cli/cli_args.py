"""Spec-valid command lines for the generated commands, built from the spec alone.

For an operation: an id for each path parameter, a value for each required option (the first
choice of an enum, 1 for a number), `--data` holding the smallest body its schema allows (the
required fields, recursively), and a file for each file option.

Where the spec's descriptions state more than its schemas, the values follow them: a string
described as JSON text with no other choice ("JSON Schema (as a JSON string)") is "{}", and of
optional fields described as "Mutually exclusive with" each other in an object whose description
says one of them is needed ("Either ..."), the first is given.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from meibel._cli._operations import Operation, Option, kebab, spec_document

IDS = {"datasource_id": "ds_1", "agent_id": "agent_1", "session_id": "session_1"}


def identifier(name: str) -> str:
    return IDS.get(name, f"{name.removesuffix('_id')}_1")


def _deref(spec: dict[str, Any], schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def smallest(spec: dict[str, Any], schema: Any) -> Any:
    """The smallest value `schema` allows (required properties only, first branches)."""
    schema = _deref(spec, schema)
    if not isinstance(schema, dict):
        return None
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [b for b in schema[key] if _deref(spec, b).get("type") != "null"]
            return smallest(spec, branches[0]) if branches else None
    if "allOf" in schema:
        return smallest(spec, schema["allOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        names = [*schema.get("required", []), *_one_of_needed(spec, schema)]
        return {n: smallest(spec, properties.get(n, {})) for n in names}
    if kind == "array":
        return [smallest(spec, schema.get("items", {}))] * schema.get("minItems", 0)
    if kind == "string" and _json_text(str(schema.get("description", ""))):
        return "{}"
    return {"integer": 1, "number": 1.0, "boolean": True}.get(str(kind), "x")


def _json_text(description: str) -> bool:
    """A string described as JSON text, with no other choice ("... or a name")."""
    return bool(re.search(r"\(as (a )?JSON string\)", description)) and not re.search(
        r"\bor\b", description
    )


def _one_of_needed(spec: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The first optional field of each group the descriptions call mutually exclusive, when
    the object's description says one is needed ("Either target ... with datasource_id, or
    ... new_datasource_name")."""
    if not re.search(r"\bEither\b", str(schema.get("description", ""))):
        return []
    required = set(schema.get("required", []))
    chosen: list[str] = []
    excluded: set[str] = set()
    for name, field in schema.get("properties", {}).items():
        text = str(_deref(spec, field).get("description", ""))
        found = re.search(r"Mutually exclusive with (\w+)", text)
        if found and name not in required and name not in excluded:
            chosen.append(name)
            excluded.add(found.group(1))
    return chosen


def _value(option: Option) -> str:
    if option.where == "path":
        return identifier(option.name)
    if option.choices:
        return option.choices[0]
    return {"int": "1", "float": "1.5"}.get(option.type, "x")


def _body_schema(operation: Operation) -> Any:
    spec = spec_document()
    plan = operation.plan
    op = spec["paths"][plan["path"]][plan["http_method"].lower()]
    content = (op.get("requestBody") or {}).get("content") or {}
    media = content.get("application/json") or content.get("multipart/form-data")
    return (media or {}).get("schema")


def argv(operation: Operation, folder: Path) -> list[str]:
    """`<tag> <name> ...` with spec-valid arguments (files written into `folder`)."""
    line = [operation.tag, operation.name]
    if operation.positional is not None:
        line.append(identifier(operation.positional.name))
    for option in operation.options:
        if option.where == "file":
            path = folder / f"{option.name}.txt"
            path.write_text("quarterly report\n")
            line += [option.flag, str(path)]
        elif option.where == "path":  # the spec requires every one
            line += [option.flag, identifier(option.name)]
        elif option.required and option.type == "bool":
            line.append(option.flag)
        elif option.required:
            line += [option.flag, _value(option)]
    if operation.takes_data:
        body = smallest(spec_document(), _body_schema(operation)) or {}
        files = {o.name for o in operation.options if o.where == "file"}
        body = {k: v for k, v in body.items() if k not in files}
        if operation.plan["body"] == "multipart":  # form fields are text
            body = {k: v if isinstance(v, str) else str(v) for k, v in body.items()}
        import json

        line += ["--data", json.dumps(body)]
    if operation.plan["kind"] == "download":
        line += ["-o", str(folder / "out") + "/"]
    return line


def flag(name: str) -> str:
    return "--" + kebab(name)
