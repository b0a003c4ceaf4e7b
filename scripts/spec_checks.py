"""Refuse a spec that would generate a wrong client, before anything is generated.

`problems(spec)` returns one line per problem, each naming the JSON pointer where it is:

- a `$ref` that resolves nowhere;
- two operations with the same operationId (the generator would silently keep one);
- two operations of one namespace that become the same Python method name, or a parameter whose
  Python name is taken by the per-call options every method has;
- a path template and its declared path parameters that disagree;
- once none of those is found, what openapi-spec-validator (OpenAPI 3.0/3.1) finds.

What the hand-written package needs from the spec is checked separately (scripts/overlay_checks.py),
since it needs the plans of scripts/plan.py.

Usage: python -m scripts.spec_checks SPEC.json   (exit status 1 when there are problems)
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .spec_extras import snake

JSON = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keyword arguments every generated method has besides the operation's own parameters.
RESERVED_ARGUMENTS = frozenset(
    {
        "self",
        "body",
        "timeout",
        "deadline",
        "extra_headers",
        "extra_query",
        "extra_body",
        "partials",
    }
)
_TEMPLATE = re.compile(r"{([^{}]+)}")


def pointer(*parts: str | int) -> str:
    """The JSON pointer (RFC 6901) of a location given by its keys."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _resolve(spec: JSON, ref: str) -> bool:
    if not ref.startswith("#"):
        return True  # another document: not ours to follow
    node: Any = spec
    for raw in ref[1:].split("/")[1:]:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False
    return True


def _refs(
    node: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield (*path, "$ref"), ref
        for key, value in node.items():
            yield from _refs(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, (*path, index))


def dangling_refs(spec: JSON) -> list[str]:
    problems = []
    for where, ref in _refs(spec):
        if not _resolve(spec, ref):
            name = ref.rsplit("/", 1)[-1]
            problems.append(f"{pointer(*where)}: $ref {ref!r} resolves nowhere (no {name!r})")
    return problems


def _locate(spec: JSON, relative: tuple[Any, ...], instance: Any) -> str:
    """The pointer of the first place where `relative` leads to `instance`.

    The validator checks each schema on its own, so its paths start at that schema.
    """
    stack: list[tuple[tuple[Any, ...], Any]] = [((), spec)]
    while stack:
        where, node = stack.pop(0)
        target = node
        for key in relative:
            try:
                target = target[key]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if target == instance:
                return pointer(*where, *relative)
        if isinstance(node, dict):
            stack.extend(((*where, key), value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend(((*where, index), value) for index, value in enumerate(node))
    return pointer(*relative)


def validator_problems(spec: JSON) -> list[str]:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(spec)
    except OpenAPIValidationError as error:
        where = _locate(spec, tuple(error.absolute_path), error.instance)
        return [f"{where or '/'}: {error.message} (openapi-spec-validator)"]
    except Exception as error:  # the validator's own failures still refuse the spec, in one line
        return [f"/: openapi-spec-validator failed: {type(error).__name__}: {error}"]
    return []


def operations(spec: JSON) -> Iterator[tuple[str, str, JSON]]:
    """(path, method, operation) for every operation of the spec."""
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict):
                yield path, method, operation


def duplicate_operation_ids(spec: JSON) -> list[str]:
    first: dict[str, tuple[str, str]] = {}
    problems = []
    for path, method, operation in operations(spec):
        operation_id = operation.get("operationId")
        if not isinstance(operation_id, str):
            continue
        if operation_id in first:
            other_path, other_method = first[operation_id]
            problems.append(
                f"{pointer('paths', path, method, 'operationId')}: operationId {operation_id!r} "
                f"is also {other_method.upper()} {other_path}; each operation needs its own"
            )
        else:
            first[operation_id] = (path, method)
    return problems


def _namespace(operation: JSON) -> str:
    tags = operation.get("tags") or ["default"]
    return snake(str(tags[0]))


def python_name_clashes(spec: JSON) -> list[str]:
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for path, method, operation in operations(spec):
        operation_id = operation.get("operationId")
        if not isinstance(operation_id, str):
            problems.append(f"{pointer('paths', path, method)}: the operation has no operationId")
            continue
        key = (_namespace(operation), snake(operation_id))
        if key in seen and seen[key] != operation_id:
            problems.append(
                f"{pointer('paths', path, method, 'operationId')}: {operation_id!r} and "
                f"{seen[key]!r} both become client.{key[0]}.{key[1]}()"
            )
        seen.setdefault(key, operation_id)
        for index, parameter in enumerate(operation.get("parameters", [])):
            name = parameter.get("name") if isinstance(parameter, dict) else None
            if isinstance(name, str) and snake(name) in RESERVED_ARGUMENTS:
                problems.append(
                    f"{pointer('paths', path, method, 'parameters', index, 'name')}: parameter "
                    f"{name!r} would take the name of the per-call option {snake(name)}="
                )
    return problems


def _path_parameters(spec: JSON, path: str, operation: JSON) -> set[str]:
    declared = set()
    for parameter in [*spec["paths"][path].get("parameters", []), *operation.get("parameters", [])]:
        ref = parameter.get("$ref") if isinstance(parameter, dict) else None
        if isinstance(ref, str) and _resolve(spec, ref):
            target: Any = spec
            for key in ref[2:].split("/"):
                target = target[key.replace("~1", "/").replace("~0", "~")]
            parameter = target
        if isinstance(parameter, dict) and parameter.get("in") == "path":
            declared.add(str(parameter.get("name")))
    return declared


def path_parameter_mismatches(spec: JSON) -> list[str]:
    problems = []
    for path, method, operation in operations(spec):
        in_template = set(_TEMPLATE.findall(path))
        declared = _path_parameters(spec, path, operation)
        where = pointer("paths", path, method)
        problems += [
            f"{where}: {{{name}}} is in the path but no path parameter declares it"
            for name in sorted(in_template - declared)
        ]
        problems += [
            f"{where}: path parameter {name!r} is not in the path template"
            for name in sorted(declared - in_template)
        ]
    return problems


def problems(spec: JSON) -> list[str]:
    """Every problem with `spec`, one line each; empty when it can be generated.

    Our own checks go first and name the exact place; the validator runs once they pass (it
    cannot run over a dangling reference, and would report the same faults less precisely).
    """
    found = (
        dangling_refs(spec)
        + duplicate_operation_ids(spec)
        + python_name_clashes(spec)
        + path_parameter_mismatches(spec)
    )
    return found or validator_problems(spec)


if __name__ == "__main__":
    lines = problems(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    print("\n".join(lines))
    raise SystemExit(1 if lines else 0)
