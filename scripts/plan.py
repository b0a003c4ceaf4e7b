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

Beside the kind, a plan says how the method is called:

- path parameters: the operation's own id (the path's last parameter) is positional; the parent ids
  before it are keyword-only, so two ids cannot be swapped; a parent id named in
  openapi/vendor-names.json `client_defaults` may be omitted (the client's option fills it);
- a JSON body: its model's fields are also keyword arguments (`body_fields`, exclusive with
  `body=`), under the vendor's documented names too (`field_aliases`); a field named like a
  parameter or a per-call option is left to `body=` (`body_clashes`);
- a multipart body: `file_name=` when it has one binary field, `file=` when that field is the list
  `files`.

Usage: python -m scripts.plan SPEC.json   (prints every plan, one line each)
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from openapi_python_client.strings import PythonIdentifier

from meibel._kinds import KINDS
from meibel._kinds import names as kind_names
from meibel._needs import MODEL_MIXINS, NAMESPACE_MIXINS, SESSION_MODELS, WAITERS
from meibel._waiters import POLL_INTERVAL, TIMEOUT

from .spec_checks import METHODS
from .spec_extras import call_shapes, snake

JSON = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent
VENDOR_NAMES = ROOT / "openapi" / "vendor-names.json"
# What every method takes besides its parameters: a body field of one of these names is left to
# `body=` (meibel_resource.jinja prints the per-call options).
RESERVED = frozenset(
    {"self", "body", "timeout", "deadline", "extra_headers", "extra_query", "extra_body"}
)
_PATH_PARAMETER = re.compile(r"{([^}]+)}")


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
    positional: tuple[str, ...] = ()  # path parameters taken by position: the operation's own id
    keyword_only: tuple[str, ...] = ()  # parent ids, before the own id in a 2+ parameter path
    client_defaults: tuple[tuple[str, str], ...] = ()  # (parameter, environment variable)
    body_fields: tuple[str, ...] = ()  # the JSON body model's fields, also keyword arguments
    field_aliases: tuple[tuple[str, str], ...] = ()  # (the vendor's keyword, body field)
    body_clashes: tuple[str, ...] = ()  # body fields named like a parameter or option
    file_name: bool = False  # multipart, one binary field: `file_name=` names the file sent
    file_alias: bool = False  # multipart, the binary field is the list `files`: `file=` too
    file_fields: tuple[tuple[str, str], ...] = ()  # multipart: (form field, "one" or "many")
    http_method: str = ""  # "GET", "POST", ...
    path: str = ""  # the path template, as the spec writes it
    cli_name: str | None = None  # the vendor CLI's command (openapi/vendor-names.json `cli`)


class VendorNamesError(ValueError):
    """openapi/vendor-names.json names a model, field or parameter the spec does not have."""


def python_name(name: str) -> str:
    """The generator's Python identifier for a parameter or field named `name`."""
    return str(PythonIdentifier(name, prefix="field_"))


def vendor_names() -> JSON:
    """openapi/vendor-names.json: the vendor README's names (`fields`, `client_defaults`)."""
    names: JSON = json.loads(VENDOR_NAMES.read_text(encoding="utf-8"))
    return names


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


def _body_model(operation: JSON, media_type: str) -> str | None:
    """The name of the model a body of `media_type` is: `$ref`, or an anyOf of one with null."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get(media_type) or {}).get("schema") or {}
    refs = [b for b in schema.get("anyOf", []) if "$ref" in b] if "anyOf" in schema else [schema]
    others = [b for b in schema.get("anyOf", []) if "$ref" not in b and b.get("type") != "null"]
    return _ref_name(refs[0]) if len(refs) == 1 and not others else None


def _binary(spec: JSON, schema: Any) -> str | None:
    """Whether a form field is a file ("one"), a list of files ("many") or neither (None)."""
    schema = _deref(spec, schema)
    if not isinstance(schema, dict):
        return None
    if schema.get("format") == "binary" or "contentMediaType" in schema:
        return "one"
    if schema.get("type") == "array" and _binary(spec, schema.get("items")) == "one":
        return "many"
    kinds = {_binary(spec, branch) for branch in schema.get("anyOf", [])} - {None}
    return kinds.pop() if len(kinds) == 1 else None


def _calling(spec: JSON, operation: JSON, path: str | None, vendor: JSON) -> JSON:
    """How the method is called: path parameters, body fields as keywords, file arguments."""
    parameters = [_deref(spec, p) for p in operation.get("parameters", [])]
    declared = [p["name"] for p in parameters if p.get("in") == "path"]
    order = [name for name in _PATH_PARAMETER.findall(path or "") if name in declared] or declared
    # A parent id may be omitted when the client has a default for it: the path goes on past it
    # (`/datasources/{datasource_id}/content`, not `/datasources/{datasource_id}`).
    own = order[-1] if order and (not path or path.rstrip("/").endswith("}")) else None
    defaults = vendor.get("client_defaults", {})
    calling: JSON = {
        "positional": tuple(python_name(name) for name in order[-1:]),
        "keyword_only": tuple(python_name(name) for name in order[:-1]),
        "client_defaults": tuple(
            (python_name(name), defaults[name])
            for name in order
            if name in defaults and name != own
        ),
    }
    taken = RESERVED | {python_name(p["name"]) for p in parameters}
    form = _body_model(operation, "multipart/form-data")
    if form is not None:
        properties = _deref(spec, {"$ref": f"#/components/schemas/{form}"}).get("properties", {})
        binary = {name: _binary(spec, value) for name, value in properties.items()}
        files = [(name, kind) for name, kind in binary.items() if kind]
        calling["file_name"] = len(files) == 1 and "file_name" not in taken
        calling["file_alias"] = files == [("files", "many")] and "file" not in taken
        calling["file_fields"] = tuple((name, str(kind)) for name, kind in files)
    model = _body_model(operation, "application/json")
    if model is None:
        return calling
    schema = _deref(spec, {"$ref": f"#/components/schemas/{model}"})
    fields = [python_name(name) for name in _fields(schema)]
    calling["body_fields"] = tuple(name for name in fields if name not in taken)
    calling["body_clashes"] = tuple(name for name in fields if name in taken)
    aliases = vendor.get("fields", {}).get(model, {})
    calling["field_aliases"] = tuple(
        (alias, python_name(target))
        for alias, target in aliases.items()
        if python_name(target) in calling["body_fields"] and alias not in taken | set(fields)
    )
    return calling


def check_vendor_names(spec: JSON, vendor: JSON) -> list[str]:
    """What openapi/vendor-names.json `fields` and `client_defaults` name that the spec lacks,
    one line each, starting with the JSON pointer of what is missing."""
    problems = []
    schemas = spec.get("components", {}).get("schemas", {})
    for model, aliases in vendor.get("fields", {}).items():
        where = f"/components/schemas/{model}"
        properties = schemas.get(model, {}).get("properties")
        if properties is None:
            problems.append(f"{where}: no such model; openapi/vendor-names.json fields names it")
            continue
        for alias, target in aliases.items():
            if target not in properties:
                problems.append(
                    f"{where}/properties/{target}: no such field; openapi/vendor-names.json "
                    f"fields makes {alias}= its keyword"
                )
            elif alias in properties:
                problems.append(
                    f"{where}/properties/{alias}: a field of that name exists; "
                    f"openapi/vendor-names.json fields makes it a keyword for {target}"
                )
    path_names = {
        p.get("name")
        for item in spec.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
        for p in operation.get("parameters", [])
        if isinstance(p, dict) and p.get("in") == "path"
    }
    problems += [
        f"/paths: no path parameter {name!r}; openapi/vendor-names.json client_defaults names it"
        for name in vendor.get("client_defaults", {})
        if name not in path_names
    ]
    return problems + _check_cli_names(spec, vendor.get("cli", {}))


def _pointer(path: str, method: str) -> str:
    return f"/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}"


def _check_cli_names(spec: JSON, cli: JSON) -> list[str]:
    """What `cli` (operationId -> command name) names wrongly: a name that is not kebab-case, or
    one its tag's group already has (another operation's name or method)."""
    operations = {
        operation["operationId"]: (path, method, operation)
        for path, item in spec.get("paths", {}).items()
        for method in METHODS
        if isinstance(operation := item.get(method), dict) and "operationId" in operation
    }
    problems = []
    names: dict[tuple[str, str], str] = {}
    for operation_id, (_, _, operation) in operations.items():
        tag = snake(str((operation.get("tags") or ["default"])[0]))
        names[(tag, snake(operation_id).replace("_", "-"))] = operation_id
    for operation_id, name in cli.items():
        if operation_id not in operations:
            # A spec bump that drops an operation drops its command: not a reason to refuse
            # the bump (tests/cli/test_cli_vendor_names.py catches a typo in the file).
            continue
        path, method, operation = operations[operation_id]
        where = _pointer(path, method)
        tag = snake(str((operation.get("tags") or ["default"])[0]))
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name):
            problems.append(
                f"{where}: openapi/vendor-names.json cli name {name!r} is not kebab-case"
            )
            continue
        other = names.setdefault((tag, name), operation_id)
        if other != operation_id:
            problems.append(
                f"{where}: openapi/vendor-names.json cli name {name!r} is {other}'s in {tag}"
            )
    return problems


def plan_operation(
    spec: JSON,
    operation: JSON,
    session_models: frozenset[str],
    aliases: tuple[str, ...] = (),
    path: str | None = None,
    vendor: JSON | None = None,
    http_method: str = "",
) -> Plan:
    """The plan of one operation (`http_method` at `path`; `vendor`: openapi/vendor-names.json's
    data)."""
    operation_id = operation["operationId"]
    namespace = snake(str((operation.get("tags") or ["default"])[0]))
    base = {
        "operation_id": operation_id,
        "http_method": http_method.upper(),
        "path": path or "",
        "namespace": namespace,
        "method": snake(operation_id),
        "body": _body(operation),
        "aliases": aliases,
        "cli_name": (vendor or {}).get("cli", {}).get(operation_id),
        **_calling(spec, operation, path, vendor or {}),
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


def plans(spec: JSON, vendor: JSON | None = None) -> list[Plan]:
    """Every operation's plan, in the spec's order (`vendor`: default openapi/vendor-names.json)."""
    vendor = vendor_names() if vendor is None else vendor
    problems = check_vendor_names(spec, vendor)
    if problems:
        raise VendorNamesError("; ".join(problems))
    shapes = call_shapes(spec)["METHOD_ALIASES"]
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            namespace = snake(str((operation.get("tags") or ["default"])[0]))
            canonical = snake(operation["operationId"])
            aliases = tuple(
                sorted(a for a, t in shapes.get(namespace, {}).items() if t == canonical)
            )
            found.append(
                plan_operation(
                    spec,
                    operation,
                    frozenset(SESSION_MODELS),
                    aliases,
                    path=path,
                    vendor=vendor,
                    http_method=method,
                )
            )
    return found


def render(spec: JSON) -> str:
    """The Jinja module the templates import: `{% from "plans.jinja" import PLANS %}`.

    It also carries meibel/_needs.py's MODEL_MIXINS and NAMESPACE_MIXINS; KINDS, what a method of
    each kind is (meibel/_kinds.py); WAITERS, the waiters' table (meibel/_waiters.py) with the
    plans of the operations each calls; and LIST_ANSWERS: the models that answer a list
    operation (`list_*` or paginated), which get `.items`.
    """
    found = plans(spec)
    # Keyed as the templates know an operation: its namespace and method name.
    table = {f"{plan.namespace}.{plan.method}": asdict(plan) for plan in found}
    list_answers = sorted(
        {
            plan.response
            for plan in found
            if plan.response and (plan.kind == "paginate" or plan.method.startswith("list_"))
        }
    )
    by_id = {plan.operation_id: plan for plan in found}
    waiters = [
        {
            **asdict(waiter),
            "outcomes": None,
            "timeout": TIMEOUT,
            "poll_interval": POLL_INTERVAL,
            "key": waiter.key,
            # Parent ids the operations may leave to the client: `str | None = None` here too.
            "defaults": sorted(
                name
                for operation_id in (waiter.status, waiter.stream)
                if operation_id in by_id
                for name, _ in by_id[operation_id].client_defaults
            ),
        }
        for waiter in WAITERS
    ]
    kinds = {
        name: {**asdict(kind), "names": sorted(kind_names(kind))} for name, kind in KINDS.items()
    }
    return (
        "{#- Generated by scripts/plan.py from the normalised spec and meibel/_needs.py. -#}\n"
        f"{{% set PLANS = {json.dumps(table, sort_keys=True)} %}}\n"
        f"{{% set KINDS = {json.dumps(kinds, sort_keys=True)} %}}\n"
        f"{{% set WAITERS = {json.dumps(waiters, sort_keys=True)} %}}\n"
        f"{{% set MODEL_MIXINS = {json.dumps(MODEL_MIXINS, sort_keys=True)} %}}\n"
        f"{{% set NAMESPACE_MIXINS = {json.dumps(NAMESPACE_MIXINS, sort_keys=True)} %}}\n"
        f"{{% set LIST_ANSWERS = {json.dumps(list_answers)} %}}\n"
    )


def dumps(spec: JSON) -> str:
    """`plans.json`, kept in the generated package: every plan by operationId, for what reads
    plans at run time (the fake, the CLI) and cannot import these scripts."""
    table = {plan.operation_id: asdict(plan) for plan in plans(spec)}
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    for each in plans(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))):
        print(f"{each.namespace}.{each.method}: {each.kind}", asdict(each))
