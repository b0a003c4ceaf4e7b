"""Write docs/migrating-from-meibel-2.md: the vendor's SDK (`meibel` 2.0.7 on PyPI) beside ours.

The tables are generated. Every method of the vendor SDK (openapi/vendor-sdk-2.0.7.json, captured
from the package by scripts/capture_vendor_sdk.py) is matched to our operation by HTTP method and
path, path parameter names ignored; what changes is read from the plans (scripts/plan.py), the
vendor's call shapes (scripts/spec_extras.py) and the spec. Its exceptions are matched by
EXCEPTIONS below, checked against meibel/_exceptions.py by tests/test_migration_guide.py. The
prose around the tables is written here.

`make regen` writes the page (scripts/regen.py calls `write`); tests/test_migration_guide.py
checks that the committed page is this script's output for the committed spec.

Usage: python -m scripts.migration_guide [OUT.md]   (default docs/migrating-from-meibel-2.md)
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._guide_prose import count, coverage
from .plan import Plan, plans, python_name
from .spec_checks import METHODS
from .spec_extras import call_shapes

JSON = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "openapi" / "vendor-sdk-2.0.7.json"
GUIDE = ROOT / "docs" / "migrating-from-meibel-2.md"
_PARAMETER = re.compile(r"{[^}]+}")

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
    """One vendor method: its call, ours (None when unsupported), and what changes."""

    vendor: str
    ours: str | None
    changes: tuple[str, ...]


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


def rows(spec: JSON, vendor: JSON | None = None) -> list[Row]:
    """Every vendor method, in the capture's order, with ours."""
    vendor = capture() if vendor is None else vendor
    operations = _operations(spec)
    plan_of = {each.operation_id: each for each in plans(spec)}
    shapes = call_shapes(spec)
    found = []
    for method in vendor["methods"]:
        route = _route(method["http_method"], method["path"])
        if route not in operations:
            area = next(
                (name for prefix, name in UNSUPPORTED.items() if method["path"].startswith(prefix)),
                "this operation",
            )
            reason = (
                f"not supported: {area} are not in the v2 spec "
                f"(`{route[0]} {method['path']}` is no operation of it)"
            )
            found.append(Row(_vendor_call(method), None, (reason,)))
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
                    f"`{row.ours}`" if row.ours else "none",
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
    renames = [
        (f"`{name}`", f"`{attribute}`", ", ".join(models))
        for (name, attribute), models in sorted(_field_renames(spec).items())
    ]
    version = spec.get("info", {}).get("version", "unknown")
    text = PROSE.format(
        vendor_version=vendor["version"],
        methods=count(len(found), "method"),
        coverage=coverage(
            [row.ours is not None for row in found],
            [method["path"] for method in vendor["methods"]],
            UNSUPPORTED,
            version,
        ),
        method_tables="\n".join(_methods_section(found, vendor)).strip("\n"),
        exception_table="\n".join(_exceptions_section(vendor)),
        rename_table="\n".join(_table(("field", "attribute", "models"), renames)),
    )
    return text


def write(spec: JSON, out: Path = GUIDE) -> None:
    """Write the page (scripts/regen.py calls this with the normalised spec)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(spec), encoding="utf-8")


PROSE = """\
# Migrating from meibel 2

<!-- Generated by scripts/migration_guide.py (`make regen`): edit the script, not this page. -->

This page is for code written for the vendor's own SDK, `meibel` {vendor_version} on PyPI. Both
packages are imported as `meibel`, so an environment holds one or the other: `pip uninstall meibel`,
then `pip install meibel-sdk`. The client is built the same way (`MeibelClient(api_key=...,
base_url=..., timeout=...)`; the key may also come from `MEIBEL_API_KEY`); `headers=` is
`default_headers=` here ([configuration](configuration.md)).

## What runs unchanged

The examples of their README run as written (tests/test_vendor_readme.py runs them against
`meibel.testing.FakeMeibel`): `client.documents.parse_document(file=f)`,
`client.documents.process_document(file=f)`, `client.datasources.list_datasources()` and its
`.items`, `client.datasources.content.upload_content(file=f, file_name="data.csv")`,
`client.datasources.data_elements.list_data_elements(datasource_id="ds-123")`,
`client.agents.sessions.create_session(agent_id=...)`, then
`client.agents.sessions.send_chat_message(session_id=session.id, message="Hello")`, and the async
client's `await client.documents.process_document(file=...)`. So do the call shapes of the API
reference's code samples (`client.sessions.get_messages(...)`). Those names are aliases and
sub-namespaces of ours, listed in `generated/API.md`.

Their SDK's own method names (`client.agents.get(...)`, `client.datasources.list()`) are mostly not
the ones their README shows: the tables below map each of its {methods} to ours.

## Calling methods

Every method is named after the API's operation (`client.<namespace>.<operation_id>`). Path ids
come first and are positional, except that where an operation has two or more, only its own id (the
last) is: parent ids (`datasource_id` of a data element) are keyword-only, like everything else, and
`datasource_id` may be left out where it is a parent when the client has a default
(`MeibelClient(datasource_id=...)` or `MEIBEL_DATASOURCE_ID`). A JSON body is `body=` (the
request model), or its fields as keywords. Files (`file=`, `files=`) take paths, bytes, binary file
objects or `(name, content)` tuples, streamed from disk.

```python
from meibel import MeibelClient
from meibel.models import CreateDatasourceRequest

client = MeibelClient()  # MEIBEL_API_KEY, MEIBEL_BASE_URL
datasource = client.datasources.create_datasource(body=CreateDatasourceRequest(name="Reports"))
client.file_upload.upload_content(datasource.id, files=["q4.pdf", ("notes.txt", b"Q4 notes")])
for element in client.data_elements.list_data_elements(datasource.id):  # every page
    print(element.id)
```

## Every method

{coverage}

{method_tables}

## Models

Their models are pydantic; ours are the spec's models as attrs classes (`meibel.models`), with the
same names. `model.to_dict()` is their `model.model_dump()` (the JSON field names), and
`Model.from_dict(data)` is `Model.model_validate(data)`. Fields the spec does not know are kept in
`model.additional_properties`. An optional field the server left out reads `None`, as theirs did;
`meibel.is_set(model, "field")` (`"field" in model.fields_set`) tells whether it was set, as
their `model_fields_set` did.

A field whose name is a Python keyword or builtin has a trailing underscore here, as a parameter
of that name has (`format=` is `format_=`):

{rename_table}

```python
from meibel import is_set

agent = client.agents.get_agent("agent_123")
print(agent.to_dict()["name"] == agent.name, is_set(agent, "name"), "name" in agent.fields_set)
```

## Errors

Their exception names are importable from `meibel` where they mean what ours do. The vendor
{vendor_version} raised only `AuthenticationError`, `NotFoundError`, `RateLimitError` and
`ApiError` (for every other status); here each status has its error, so `except AuthorizationError`
and `except ServerError` now catch what they say. Their `from meibel.exceptions import ...` is
`from meibel import ...`. Retries of failed requests are built in
([errors and retries](errors-and-retries.md)).

{exception_table}

```python
from meibel import ApiError, NotFoundError

try:
    client.agents.get_agent("no-such-agent")
except NotFoundError as error:
    print(error.status_code, error.body)
except ApiError as error:  # any other non-2xx answer: APIStatusError
    print(error.status_code)
```

## Pagination

A list method returns a `SyncPage` (`AsyncPage` on the async client) once its first page has
arrived. Iterating it walks every item of every page, fetching the next page only when the loop
gets there, as their `PaginatedIterator` did; `.items` is the current page, `.response` its model,
`.get_next_page()` and `.iter_pages()` walk pages by hand. On the async client, `async for`.

## Streams

Their streams yield raw server events (`SSEEvent` with `.event` and `.data`, or dicts). Ours yield
typed events: an `EventStream` of `StreamEvent` (`.type`, `.data`, `.model` the spec's event
model), and for chat a `ChatStream` of `content` events whose `delta`s add up to the reply, with
`stream.result` the final message ([sessions and chat](sessions-and-chat.md)). Both are context
managers: leaving the block releases the connection.

```python
session = client.agents.create_session(agent_id="agent_123")
with client.sessions.send_chat_message_stream(
    session.id, body={{"user_message": "Summarise the report."}}, files=["report.pdf"]
) as stream:
    for event in stream:
        if event.type == "content":
            print(event.delta, end="", flush=True)
print()
print(stream.result.citations)  # the final reply: message, sources, ...
```

## Downloads

Their file methods return the body as `str`. Ours return a `Download` as soon as the headers have
arrived: `.text()`, `.read()` (bytes), `.save(path)` (streamed to disk), `.filename`
([downloads](downloads.md)).

```python
job = client.documents.parse_document(file="report.pdf")
with client.documents.get_document_result(job.job_id) as download:
    print(download.text()[:40])
```
"""


if __name__ == "__main__":
    from . import normalize_spec

    vendored = json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else GUIDE
    target.write_text(render(normalize_spec.normalize(vendored)[0]), encoding="utf-8")
