"""What each operation of the spec becomes on the client: one Plan per operation, as plain data.

The templates print these plans (`plans.jinja`, rendered by `render`); nothing about what a method
*is* is decided in Jinja. Kinds:

- "stream":      the success answer is `text/event-stream`: typed events;
- "chat_stream": a stream whose events include `completion` and `partial_response`: ChatEvents;
- "paginate":    the operation takes `cursor`, `continuation_token` or `offset` and its answer says
                 how to get the next page (`pagination`), with a list of models (`items`);
- "download":    the answer's body is unspecified (`{}`) or binary: a Download, read when asked;
- "session":     the answer is one of the session models (meibel/_needs.py): a bound Session;
- "none":        no body (204): the method returns None;
- "plain":       anything else: the parsed success model.

Usage: python scripts/plan.py SPEC.json   (prints every plan, one line each)
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from spec_checks import METHODS
from spec_extras import call_shapes, snake

from meibel._needs import MODEL_MIXINS, NAMESPACE_MIXINS, SESSION_MODELS

JSON = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plan:
    operation_id: str
    namespace: str
    method: str
    kind: str
    ok: int
    body: str  # "none", "json", "multipart" or "other"
    response: str | None = None  # the success answer's schema name, when it is a named model
    pagination: str | None = None  # "cursor", "token" or "offset"
    items: str | None = None  # the answer's field that lists the page's items
    sentinel: str | None = None  # the data that ends an event stream
    aliases: tuple[str, ...] = field(default=())


def _deref(spec: JSON, schema: Any) -> Any:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        target: Any = spec
        for key in schema["$ref"][2:].split("/"):
            target = target[key.replace("~1", "/").replace("~0", "~")]
        schema = target
    return schema


def _ref_name(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _is_model(spec: JSON, schema: Any) -> bool:
    """Whether the generator makes a class of `schema` (an object model or an enum)."""
    resolved = _deref(spec, schema)
    if not isinstance(resolved, dict):
        return False
    return "enum" in resolved or "properties" in resolved or resolved.get("type") == "object"


def _fields(schema: JSON) -> list[str]:
    """The properties in the generator's order: the required ones first, then the others."""
    properties = list(schema.get("properties", {}))
    required = set(schema.get("required", []))
    return [p for p in properties if p in required] + [p for p in properties if p not in required]


def _pagination(spec: JSON, operation: JSON, answer: JSON) -> tuple[str | None, str | None]:
    query = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
    names = _fields(answer)
    style = None
    if "cursor" in query and "next_cursor" in names:
        style = "cursor"
    elif "continuation_token" in query and "continuation_token" in names:
        style = "token"
    elif "offset" in query and ("total" in names or "next_offset" in names):
        style = "offset"
    items = None
    for name in names:
        prop = _deref(spec, answer["properties"][name])
        if (
            isinstance(prop, dict)
            and prop.get("type") == "array"
            and _is_model(spec, prop.get("items"))
        ):
            items = snake(name)
            break
    return style, items


def _success(operation: JSON) -> tuple[int, JSON]:
    codes = sorted(
        int(code) for code in operation.get("responses", {}) if code.isdigit() and code[0] == "2"
    )
    if not codes:
        return 200, {}
    response = operation["responses"][str(codes[0])]
    return codes[0], response.get("content") or {}


def _body(operation: JSON) -> str:
    content = (operation.get("requestBody") or {}).get("content") or {}
    if not content:
        return "none"
    if "multipart/form-data" in content:
        return "multipart"
    return "json" if "application/json" in content else "other"


def plan_operation(
    spec: JSON, operation: JSON, session_models: frozenset[str], aliases: tuple[str, ...] = ()
) -> Plan:
    """The plan of one operation."""
    operation_id = operation["operationId"]
    namespace = snake(str((operation.get("tags") or ["default"])[0]))
    base = {
        "operation_id": operation_id,
        "namespace": namespace,
        "method": snake(operation_id),
        "body": _body(operation),
        "aliases": aliases,
    }
    ok, content = _success(operation)
    if not content:
        return Plan(kind="none", ok=ok, **base)
    if "text/event-stream" in content:
        media = content["text/event-stream"]
        schema = _deref(spec, media.get("schema") or {})
        mapping = (schema.get("discriminator") or {}).get("mapping") or {}
        chat = "completion" in mapping and "partial_response" in mapping
        return Plan(
            kind="chat_stream" if chat else "stream",
            ok=ok,
            sentinel=media.get("x-forge-sse-sentinel"),
            **base,
        )
    media_type, media = next(iter(content.items()))
    schema = media.get("schema") or {}
    resolved = _deref(spec, schema)
    if not resolved or resolved.get("format") == "binary" or "json" not in media_type:
        return Plan(kind="download", ok=ok, **base)
    name = _ref_name(schema)
    if name in session_models:
        return Plan(kind="session", ok=ok, response=name, **base)
    if name is not None and "properties" in resolved:
        style, items = _pagination(spec, operation, resolved)
        if style and items:
            return Plan(
                kind="paginate", ok=ok, response=name, pagination=style, items=items, **base
            )
    return Plan(kind="plain", ok=ok, response=name, **base)


def plans(spec: JSON) -> list[Plan]:
    """Every operation's plan, in the spec's order."""
    shapes = call_shapes(spec)["METHOD_ALIASES"]
    found = []
    for item in spec.get("paths", {}).values():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            namespace = snake(str((operation.get("tags") or ["default"])[0]))
            canonical = snake(operation["operationId"])
            aliases = tuple(
                sorted(a for a, t in shapes.get(namespace, {}).items() if t == canonical)
            )
            found.append(plan_operation(spec, operation, frozenset(SESSION_MODELS), aliases))
    return found


def render(spec: JSON) -> str:
    """The Jinja module the templates import: `{% from "plans.jinja" import PLANS %}`.

    It also carries meibel/_needs.py's MODEL_MIXINS and NAMESPACE_MIXINS, for the templates.
    """
    # Keyed as the templates know an operation: its namespace and method name.
    table = {f"{plan.namespace}.{plan.method}": asdict(plan) for plan in plans(spec)}
    return (
        "{#- Generated by scripts/plan.py from the normalised spec and meibel/_needs.py. -#}\n"
        f"{{% set PLANS = {json.dumps(table, sort_keys=True)} %}}\n"
        f"{{% set MODEL_MIXINS = {json.dumps(MODEL_MIXINS, sort_keys=True)} %}}\n"
        f"{{% set NAMESPACE_MIXINS = {json.dumps(NAMESPACE_MIXINS, sort_keys=True)} %}}\n"
    )


if __name__ == "__main__":
    for each in plans(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))):
        print(f"{each.namespace}.{each.method}: {each.kind}", asdict(each))
