"""Refuse a spec that breaks what the hand-written package needs (meibel/_needs.py).

One line per broken need, naming the JSON pointer, the model or operation, and the file that needs
it: a model field the code reads is gone, an operation is gone or no longer the kind the code
expects, or a generated field would shadow an attribute of the model's mixin. For the waiters
(meibel/_waiters.py WAITERS) more than existence: the operations they call stay in their namespace
with their ids, a status operation answers the model the waiter returns, its state field stays a
string (or the enum the table names) whose every value the waiter's outcomes decide, its error
field stays a string, and no operation takes a waiter's name.

Usage: python -m scripts.overlay_checks SPEC.json   (exit status 1 when a need is broken)
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

from meibel import _needs

from .plan import plans
from .spec_checks import pointer
from .waiter_checks import waiter_problems

JSON = dict[str, Any]


def _python_name(field: str) -> str:
    """The attribute name openapi-python-client gives a schema property."""
    from openapi_python_client.strings import PythonIdentifier

    return str(PythonIdentifier(value=field, prefix="field"))


def _schemas(spec: JSON) -> JSON:
    schemas: JSON = spec.get("components", {}).get("schemas", {})
    return schemas


def missing_fields(spec: JSON) -> list[str]:
    schemas = _schemas(spec)
    problems = []
    for need in _needs.MODEL_FIELDS:
        schema = schemas.get(need.model)
        if schema is None:
            problems.append(
                f"{pointer('components', 'schemas', need.model)}: model {need.model} is gone; "
                f"{need.used_by} needs {need.model}.{need.field}"
            )
        elif need.field not in schema.get("properties", {}):
            problems.append(
                f"{pointer('components', 'schemas', need.model, 'properties', need.field)}: "
                f"{need.model}.{need.field} is gone; {need.used_by} needs it"
            )
    return problems


def wrong_kinds(spec: JSON) -> list[str]:
    by_id = {plan.operation_id: plan for plan in plans(spec)}
    problems = []
    for need in _needs.KINDS:
        plan = by_id.get(need.operation_id)
        if plan is None:
            problems.append(
                f"/paths: operation {need.operation_id} is gone; {need.used_by} needs it "
                f"(as a {need.kind} method)"
            )
        elif plan.kind != need.kind:
            problems.append(
                f"/paths: {need.operation_id} is now planned as {plan.kind}, not {need.kind}; "
                f"{need.used_by} needs client.{plan.namespace}.{plan.method} to be a {need.kind}"
            )
    return problems


def _mixin_attributes(mixin: type) -> set[str]:
    names = set()
    for cls in inspect.getmro(mixin):
        if cls is object:
            continue
        names |= {name for name in vars(cls) if not name.startswith("__")}
    return names


def shadowed_mixins(spec: JSON) -> list[str]:
    from meibel import _model_extras

    schemas = _schemas(spec)
    problems = []
    for model, mixin_name in _needs.MODEL_MIXINS.items():
        where = pointer("components", "schemas", model)
        schema = schemas.get(model)
        if schema is None:
            problems.append(f"{where}: model {model} is gone; meibel/_model_extras.py extends it")
            continue
        attributes = _mixin_attributes(getattr(_model_extras, mixin_name))
        for field in schema.get("properties", {}):
            name = _python_name(field)
            if name in attributes:
                problems.append(
                    f"{where}/properties/{field}: the generated field {model}.{name} would "
                    f"shadow {mixin_name}.{name} (meibel/_model_extras.py)"
                )
    problems += [
        f"{pointer('components', 'schemas', model)}: session model {model} is gone; "
        "meibel/_session.py wraps it"
        for model in _needs.SESSION_MODELS
        if model not in schemas
    ]
    return problems


def problems(spec: JSON) -> list[str]:
    """Every broken need of the hand-written package, one line each."""
    return missing_fields(spec) + wrong_kinds(spec) + shadowed_mixins(spec) + waiter_problems(spec)


if __name__ == "__main__":
    lines = problems(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    print("\n".join(lines))
    raise SystemExit(1 if lines else 0)
