"""What the waiters rely on beyond existence (meibel/_waiters.py WAITERS), checked on a spec.

One line per problem, starting with the JSON pointer of what changed and naming the waiter and
the file that relies on it. Part of scripts/overlay_checks.py's `problems`.
"""

from __future__ import annotations

from typing import Any

from meibel import _needs
from meibel._waiters import WaiterSpec

from .plan import Plan, plans
from .spec_checks import pointer

JSON = dict[str, Any]
_TABLE = "meibel/_waiters.py"
_MACHINE = "meibel/_waiting.py"


def _resolve(spec: JSON, schema: Any) -> tuple[Any, str | None]:
    """`schema` without `$ref`s and without a null branch: (its schema, the last model named)."""
    name = None
    for _ in range(20):  # a loop of $refs is spec_checks' to report
        if not isinstance(schema, dict):
            break
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            schema = spec.get("components", {}).get("schemas", {}).get(name)
            continue
        branches = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
        if isinstance(branches, list):
            real = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
            if len(real) == 1:
                schema = real[0]
                continue
        break
    return schema, name


def _type(schema: Any) -> str:
    """A schema's type as a word: "string", "integer", "object", "one of several", ..."""
    if not isinstance(schema, dict):
        return "missing"
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if isinstance(kind, str):
        return kind
    if any(key in schema for key in ("anyOf", "oneOf", "allOf")):
        return "one of several types"
    return "string" if "enum" in schema else "untyped"


def _state(spec: JSON, waiter: WaiterSpec, model: JSON) -> list[str]:
    where = pointer("components", "schemas", waiter.model or "", "properties", waiter.state)
    field = f"{waiter.model}.{waiter.state}"
    schema, enum = _resolve(spec, model["properties"][waiter.state])
    kind = _type(schema)
    if waiter.enum is not None and enum != waiter.enum:
        now = f"the enum {enum}" if enum else f"a plain {kind}"
        return [
            f"{where}: {field} is no longer the enum {waiter.enum} (now {now}); "
            f"{_TABLE} decides each of its values for {waiter.key}"
        ]
    if kind != "string":
        return [
            f"{where}: {field} is now {kind}, not a string; {_MACHINE} reads it as the job's "
            f"state for {waiter.key}"
        ]
    values = [str(value) for value in schema.get("enum", [])]
    undecided = [value for value in values if value.lower() not in waiter.outcomes]
    if not undecided:
        return []
    if enum is not None:
        where = pointer("components", "schemas", enum, "enum")
    named = ", ".join(repr(value) for value in undecided)
    return [
        f"{where}: {field} can be {named}, which {waiter.key}'s outcomes in {_TABLE} do not "
        "decide: say whether each ends the wait (True, False or None: not yet)"
    ]


def _error(spec: JSON, waiter: WaiterSpec, model: JSON) -> list[str]:
    if waiter.error is None or waiter.error not in model.get("properties", {}):
        return []  # a missing field is overlay_checks.missing_fields' to report
    schema, _ = _resolve(spec, model["properties"][waiter.error])
    kind = _type(schema)
    if kind == "string":
        return []
    where = pointer("components", "schemas", waiter.model or "", "properties", waiter.error)
    return [
        f"{where}: {waiter.model}.{waiter.error} is now {kind}, not a string; {_MACHINE} "
        f"reports it as the error of a failed job ({waiter.key})"
    ]


def _operation(waiter: WaiterSpec, plan: Plan) -> list[str]:
    where = pointer("paths", plan.path, plan.http_method.lower())
    problems = []
    if plan.namespace != waiter.namespace:
        problems.append(
            f"{where}/tags: {plan.operation_id} is now in namespace {plan.namespace}; "
            f"{waiter.key} ({_TABLE}) calls it on its own namespace"
        )
    ids = set(plan.positional + plan.keyword_only)
    if ids != set(waiter.ids):
        problems.append(
            f"{where}/parameters: {plan.operation_id}'s path parameters are now "
            f"{', '.join(sorted(ids)) or 'none'}, not {', '.join(waiter.ids)}; "
            f"{waiter.key} ({_TABLE}) takes and passes those"
        )
    if plan.operation_id == waiter.status and plan.response != waiter.model:
        problems.append(
            f"{where}/responses/{plan.ok}: {plan.operation_id} now answers "
            f"{plan.response or 'no model'}, not {waiter.model}; {waiter.key} ({_TABLE}) "
            "returns it and reads its state"
        )
    return problems


def waiter_problems(spec: JSON) -> list[str]:
    found = plans(spec)
    by_id = {plan.operation_id: plan for plan in found}
    schemas = spec.get("components", {}).get("schemas", {})
    problems = []
    for waiter in _needs.WAITERS:
        for operation_id in (waiter.status, waiter.stream):
            if operation_id in by_id:  # one that is gone is overlay_checks.wrong_kinds' to report
                problems += _operation(waiter, by_id[operation_id])
        model = schemas.get(waiter.model) if waiter.model else None
        if isinstance(model, dict) and waiter.state in model.get("properties", {}):
            problems += _state(spec, waiter, model) + _error(spec, waiter, model)
        problems += [
            f"{pointer('paths', plan.path, plan.http_method.lower())}: {plan.operation_id} "
            f"would be client.{waiter.key}, which is a waiter ({_TABLE})"
            for plan in found
            if plan.namespace == waiter.namespace and waiter.method in (plan.method, *plan.aliases)
        ]
    return problems
