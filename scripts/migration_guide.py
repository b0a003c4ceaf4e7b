"""Write docs/migrating-from-meibel-2.md: the vendor's SDK (`meibel` 2.0.7 on PyPI) beside ours.

The tables are generated. Every method of the vendor SDK (openapi/vendor-sdk-2.0.7.json, captured
from the package by scripts/capture_vendor_sdk.py) is matched to our operation by HTTP method and
path, path parameter names ignored; what changes is read from the plans (scripts/plan.py), the
vendor's call shapes (scripts/spec_extras.py) and the spec. Its exceptions are matched by
EXCEPTIONS below, checked against meibel/_exceptions.py by tests/regen/test_migration_guide.py.
A vendor method the spec has no operation for gets a recipe through the client's escape hatch
(`client.post(path, ...)`, docs/raw-requests.md), built from its captured HTTP method, path and
parameters. The prose around the tables is scripts/templates/migration_guide.md.jinja, rendered
by scripts/prose.py.

`make regen` writes the page (scripts/regen.py calls `write`); tests/regen/test_migration_guide.py
checks that the committed page is this script's output for the committed spec.

Usage: python -m scripts.migration_guide [OUT.md]   (default docs/migrating-from-meibel-2.md)
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .plan import Plan, plans, python_name
from .prose import render as render_prose
from .spec_checks import METHODS
from .spec_extras import call_shapes

JSON = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "openapi" / "vendor-sdk-2.0.7.json"
GUIDE = ROOT / "docs" / "migrating-from-meibel-2.md"
_PARAMETER = re.compile(r"{([^}]+)}")

# The vendor's exceptions: (ours, or None when no class of ours means the same, what to know).
EXCEPTIONS: dict[str, tuple[str | None, str]] = {
    "ApiError": (
        "APIStatusError",
        "any non-2xx answer; `response_body` is `body`. Connection failures are "
        "`APIConnectionError` (theirs raised httpx's own errors); `APIError` is the base of both",
    ),
    "AuthenticationError": ("AuthenticationError", "401"),
    "AuthorizationError": ("PermissionDeniedError", "403"),
    "NotFoundError": ("NotFoundError", "404"),
    "RateLimitError": (
        "RateLimitError",
        "429; no `retry_after`: retries already wait as `Retry-After` asks, and "
        "`error.response.headers` has it",
    ),
    "ServerError": ("InternalServerError", "any 5xx"),
    "ValidationError": (
        None,
        "400 and 422 alike; here they are two errors, `BadRequestError` and "
        "`UnprocessableEntityError` (with `errors`): catch both. `meibel.models.ValidationError` "
        "is the spec's model of one 422 detail",
    ),
}

# Where the spec has no operation for a vendor path: what that part of the API is.
UNSUPPORTED = {
    "/batch-definitions": "batch definitions",
    "/batch-executions": "batch executions",
    "/execution-policies": "execution policies",
}

# What a method returns, by its plan's kind, when that is not the response model (see the prose).
_RETURNS = {
    "paginate": "`SyncPage`",
    "download": "`Download`",
    "stream": "`EventStream`",
    "chat_stream": "`ChatStream`",
    "session": "`Session`",
}


@dataclass(frozen=True)
class Row:
    """One vendor method: its call, ours (a method, or a recipe through the escape hatch), and
    what changes."""

    vendor: str
    ours: str
    changes: tuple[str, ...]
    recipe: bool = False
    area: str = ""  # of a recipe: the part of the API the spec lacks ("batch definitions")


def capture(path: Path = CAPTURE) -> JSON:
    data: JSON = json.loads(path.read_text(encoding="utf-8"))
    return data


def _route(method: str, path: str) -> tuple[str, str]:
    return method.upper(), _PARAMETER.sub("{}", path)


def _operations(spec: JSON) -> dict[tuple[str, str], tuple[str, JSON]]:
    """(HTTP method, path with `{}` for each parameter) -> (path, operation)."""
    return {
        _route(method, path): (path, item[method])
        for path, item in spec.get("paths", {}).items()
        for method in METHODS
        if isinstance(item.get(method), dict)
    }


def _works_as_written(call: str, plan_of: dict[str, Plan], shapes: JSON) -> bool:
    """Whether the vendor's `client.<call>` is also a method of ours (a name or an alias)."""
    aliases, subnamespaces = shapes["METHOD_ALIASES"], shapes["SUBNAMESPACES"]
    names: dict[str, set[str]] = {}
    for each in plan_of.values():
        names.setdefault(each.namespace, set()).add(each.method)
    *prefix, name = call.split(".")
    if len(prefix) == 1:
        return name in names.get(prefix[0], set()) | set(aliases.get(prefix[0], {}))
    if len(prefix) == 2:
        sub = subnamespaces.get(prefix[0], {}).get(prefix[1])
        if sub is None:
            return False
        target = sub["target"]
        return name in set(sub["methods"]) | names.get(target, set()) | set(aliases.get(target, {}))
    return False


def _vendor_call(method: JSON) -> str:
    required = [p["name"] for p in method["parameters"] if "default" not in p]
    optional = len(required) < len(method["parameters"])
    arguments = ", ".join([*required, *(["..."] if optional else [])])
    return f"client.{method['call']}({arguments})"


def _form_fields(spec: JSON, operation: JSON) -> list[str]:
    """The multipart body's fields."""
    media = (operation.get("requestBody") or {}).get("content", {}).get("multipart/form-data")
    ref = ((media or {}).get("schema") or {}).get("$ref", "")
    schema = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
    return list(schema.get("properties", {}))


def _our_call(spec: JSON, operation: JSON, plan: Plan) -> str:
    arguments = [*plan.positional, *(f"{name}=..." for name in plan.keyword_only)]
    arguments += [
        f"{python_name(p['name'])}=..."
        for p in operation.get("parameters", [])
        if isinstance(p, dict) and p.get("in") == "query" and p.get("required")
    ]
    if plan.body == "json" and (operation.get("requestBody") or {}).get("required"):
        arguments.append("body=...")
    elif plan.body == "multipart":
        form = _form_fields(spec, operation)
        arguments += [f"{name}=..." for name in form if name in ("file", "files")]
    return f"client.{plan.namespace}.{plan.method}({', '.join(arguments)})"


def _argument_changes(spec: JSON, method: JSON, operation: JSON, plan: Plan) -> list[str]:
    """How the vendor's arguments are passed here."""
    changes = []
    if plan.keyword_only:
        parents = ", ".join(f"`{name}=`" for name in plan.keyword_only)
        changes.append(f"parent id by keyword: {parents}")
    for name, variable in plan.client_defaults:
        changes.append(f"`{name}` defaults to the client's (`{variable}`)")
    parameters = [p for p in operation.get("parameters", []) if isinstance(p, dict)]
    ours = {p["name"]: python_name(p["name"]) for p in parameters}
    vendor = [p["name"] for p in method["parameters"]]
    changes += [f"`{n}=` is `{ours[n]}=`" for n in vendor if n in ours and ours[n] != n]
    extra = [name for name in vendor if name not in ours and name != "body"]
    loose: list[str] = []
    wire = method.get("wire_names", {})
    if plan.body == "json":
        keywords = set(plan.body_fields) | {alias for alias, _ in plan.field_aliases}
        for name in extra:
            ours_name = python_name(wire.get(name, name))
            if ours_name not in keywords:
                loose.append(name)
            elif ours_name != name:
                changes.append(f"`{name}=` is `{ours_name}=`")
    elif plan.body == "multipart":
        form = _form_fields(spec, operation)
        binary = [name for name in form if name in ("file", "files")]
        for name in extra:
            if name == "files_name":
                changes.append(
                    "`files_name=` is `file_name=`"
                    if plan.file_name
                    else "`files_name=`: pass a `(name, file)` tuple"
                )
            elif name == "file_name" and not plan.file_name:
                changes.append("`file_name=`: pass a `(name, file)` tuple")
            elif name in ("file", "files") and name not in binary:
                if binary and not (name == "file" and plan.file_alias):
                    changes.append(f"`{name}=` is `{binary[0]}=`")
            elif name not in ("file", "files", "file_name"):
                loose.append(name)
    if loose:
        fields = ", ".join(
            f"`{name}=`" + (f" (`{wire[name]}`)" if name in wire else "") for name in loose
        )
        changes.append(f"{fields}: in `body=` (the request model, or a dict)")
    changes += [
        f"`{p['name']}=` takes a JSON schema (dict or str), not a pydantic class"
        for p in method["parameters"]
        if "BaseModel" in p["annotation"]
    ]
    return changes


def _return_change(method: JSON, plan: Plan) -> list[str]:
    returned = method["returns"]
    if plan.kind == "paginate" and method["sends"] != "paginate":
        return [f"returns a `SyncPage` (theirs: one `{returned}`)"]
    if plan.kind in _RETURNS:
        return [f"returns {_RETURNS[plan.kind]}"]
    if plan.response and returned.isidentifier() and returned != plan.response:
        return [f"returns `{plan.response}` (theirs: `{returned}`)"]
    return []


def _stream_words(found: Iterable[Plan]) -> frozenset[str]:
    """The last word of the spec's event-stream paths (`progress` of `.../{job_id}/progress`)."""
    return frozenset(
        re.split(r"[-_]", plan.path.rsplit("/", 1)[-1])[-1]
        for plan in found
        if plan.kind in ("stream", "chat_stream")
    )


def _recipe(method: JSON, area: str, streams: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """A vendor method the spec lacks, through the escape hatch: the call, and what changes.

    Path parameters fill the path (an f-string), `body` is the JSON body, the others are the
    query. A path ending like the spec's event streams (`.../realtime-progress`), or a method the
    vendor streamed, is read as a stream.
    """
    verb, path = method["http_method"].upper(), method["path"]
    names = [p["name"] for p in method["parameters"]]
    in_path = _PARAMETER.findall(path)
    if missing := [name for name in in_path if name not in names]:
        raise SystemExit(f"migration_guide: {method['call']}: no parameter for {missing} in {path}")
    arguments = [f'f"{path}"' if in_path else f'"{path}"']
    changes = [
        f"{area} are not in the v2 spec: through the escape hatch ([raw requests](raw-requests.md))"
    ]
    if "body" in names:
        arguments.append("body=body")
        kind = next(p["annotation"] for p in method["parameters"] if p["name"] == "body")
        changes.append(f"`body` is a dict of the JSON fields (theirs: `{kind}`)")
    query = [name for name in names if name not in in_path and name != "body"]
    if query:
        arguments.append("params={" + ", ".join(f'"{name}": {name}' for name in query) + "}")
        changes.append("the query's None values are left out")
    returned = method["returns"]
    last = re.split(r"[-_]", path.rsplit("/", 1)[-1])[-1]
    if method["sends"] in ("stream", "upload_stream") or last in streams:
        arguments.append("stream=True")
        whole = f" (theirs read it whole as `{returned}`: `cast_to=str` does that)"
        changes.append(
            "returns an `EventStream`, events as they come" + whole * (returned == "str")
        )
    elif returned in ("str", "bytes"):
        arguments.append(f"cast_to={returned}")
        changes.append(f"returns `{returned}`")
    elif returned != "None":
        changes.append(f"returns the JSON answer, a dict (theirs: `{returned}`)")
    call = f"client.{verb.lower()}({', '.join(arguments)})"
    return call, tuple(changes)


def rows(spec: JSON, vendor: JSON | None = None) -> list[Row]:
    """Every vendor method, in the capture's order, with ours."""
    vendor = capture() if vendor is None else vendor
    operations = _operations(spec)
    plan_of = {each.operation_id: each for each in plans(spec)}
    shapes = call_shapes(spec)
    streams = _stream_words(plan_of.values())
    found = []
    for method in vendor["methods"]:
        route = _route(method["http_method"], method["path"])
        if route not in operations:
            area = next(
                (name for prefix, name in UNSUPPORTED.items() if method["path"].startswith(prefix)),
                "other operations",
            )
            ours, changes = _recipe(method, area, streams)
            found.append(Row(_vendor_call(method), ours, changes, recipe=True, area=area))
            continue
        _, operation = operations[route]
        plan = plan_of[operation["operationId"]]
        if method["call"] == f"{plan.namespace}.{plan.method}":
            changes = ["same name"]
        elif _works_as_written(method["call"], plan_of, shapes):
            changes = ["their name works too"]
        else:
            changes = ["renamed"]
        changes += _argument_changes(spec, method, operation, plan)
        changes += _return_change(method, plan)
        found.append(Row(_vendor_call(method), _our_call(spec, operation, plan), tuple(changes)))
    return found


def _field_renames(spec: JSON) -> dict[tuple[str, str], list[str]]:
    """(field, our attribute) -> the models, where a field's Python name is not its own."""
    renames: dict[tuple[str, str], list[str]] = {}
    for model, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        for name in (schema or {}).get("properties", {}):
            attribute = python_name(name)
            if attribute != name:
                renames.setdefault((name, attribute), []).append(model)
    return renames


def _table(header: tuple[str, ...], lines: Sequence[tuple[str, ...]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(line) + " |" for line in lines),
    ]


def _methods_section(found: list[Row], vendor: JSON) -> list[str]:
    lines: list[str] = []
    groups: dict[str, list[Row]] = {}
    for method, row in zip(vendor["methods"], found, strict=True):
        groups.setdefault(method["call"].rsplit(".", 1)[0], []).append(row)
    for group, members in groups.items():
        lines += ["", f"### `client.{group}`", ""]
        lines += _table(
            ("meibel 2.0.7", "this SDK", "what changes"),
            [
                (
                    f"`{row.vendor}`",
                    f"`{row.ours}`",
                    "; ".join(row.changes),
                )
                for row in members
            ],
        )
    return lines


def _exceptions_section(vendor: JSON) -> list[str]:
    unknown = sorted(set(vendor["exceptions"]) - set(EXCEPTIONS))
    if unknown:
        raise SystemExit(f"migration_guide: no entry in EXCEPTIONS for {', '.join(unknown)}")
    lines = []
    for name in sorted(vendor["exceptions"]):
        ours, note = EXCEPTIONS[name]
        if ours is None:
            where = "no alias"
        elif ours == name:
            where = f"`meibel.{name}`, the same name"
        else:
            where = f"`meibel.{name}`, an alias of `{ours}`"
        lines.append((f"`{name}`", where, note))
    return _table(("meibel 2.0.7", "here", "what it means"), lines)


def render(spec: JSON, vendor: JSON | None = None) -> str:
    """The page."""
    vendor = capture() if vendor is None else vendor
    found = rows(spec, vendor)
    recipes = [row for row in found if row.recipe]
    supported = [row for row in found if not row.recipe]
    # The named areas in the capture's order, then "other operations" (a path outside them).
    areas = sorted(
        dict.fromkeys(row.area for row in recipes), key=lambda a: a == "other operations"
    )
    renames = [
        (f"`{name}`", f"`{attribute}`", ", ".join(models))
        for (name, attribute), models in sorted(_field_renames(spec).items())
    ]
    return render_prose(
        "migration_guide.md.jinja",
        vendor_version=vendor["version"],
        methods=len(found),
        supported=len(supported),
        aliased=sum(1 for row in supported if row.changes[0] == "their name works too"),
        renamed=sum(1 for row in supported if row.changes[0] == "renamed"),
        unsupported=len(recipes),
        areas=list(areas),
        spec_version=spec.get("info", {}).get("version", "unknown"),
        method_tables="\n".join(_methods_section(found, vendor)).strip("\n"),
        exception_table="\n".join(_exceptions_section(vendor)),
        rename_table="\n".join(_table(("field", "attribute", "models"), renames)),
    )


def write(spec: JSON, out: Path = GUIDE) -> None:
    """Write the page (scripts/regen.py calls this with the normalised spec)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(spec), encoding="utf-8")


if __name__ == "__main__":
    from . import normalize_spec

    vendored = json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else GUIDE
    target.write_text(render(normalize_spec.normalize(vendored)[0]), encoding="utf-8")
