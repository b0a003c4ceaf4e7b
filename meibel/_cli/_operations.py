"""One command per operation of the spec, read at run time from the generated package.

`plans.json` (scripts/plan.py: what each operation is and how its method is called) and the
normalised `openapi.json` (parameter types, enums, defaults, descriptions, body fields) say
everything a command needs, so a spec bump adds commands without an edit here:
`meibel <tag> <name>`, the tag being the plan's namespace in kebab-case and the name the vendor
CLI's (the plan's `cli_name`) or else the method's in kebab-case.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["Operation", "Option", "operations", "plans_table", "spec_document"]

JSON = dict[str, Any]
PACKAGE = "meibel_api_v2"
_PARAMETER = re.compile(r"{([^}]+)}")
# Flags every command has, or that saving a file takes: a field of such a name is left to --data.
RESERVED_FLAGS = frozenset(
    {"--help", "--json", "--fake", "--debug", "--output", "--profile", "--base-url", "--data"}
    | {"--overwrite", "--format"}
)


@functools.cache
def _packaged(name: str) -> JSON:
    document: JSON = json.loads(resources.files(PACKAGE).joinpath(name).read_text("utf-8"))
    return document


def plans_table() -> JSON:
    """Every operation's plan, keyed by operationId (generated/meibel_api_v2/plans.json)."""
    return _packaged("plans.json")


def spec_document() -> JSON:
    """The normalised spec (generated/meibel_api_v2/openapi.json)."""
    return _packaged("openapi.json")


def kebab(name: str) -> str:
    return name.strip("_").replace("_", "-")


@dataclass(frozen=True)
class Option:
    """A value the command takes: a path or query parameter, a body or form field, a file."""

    name: str  # as the spec names it: "datasource_id"
    where: str  # "path", "query", "body" (JSON), "form" (multipart text), "file"
    type: str  # "str", "int", "float", "bool", "json" (an object or a list of them)
    many: bool = False  # an array: the option is repeated
    required: bool = False
    choices: tuple[str, ...] | None = None
    default: Any = None  # the spec's, shown in the help (the client sends its own)
    help: str = ""
    optional_id: bool = False  # a path id the client fills from its default datasource

    @property
    def flag(self) -> str:
        return "--" + kebab(self.name)

    @property
    def dest(self) -> str:
        return f"{self.where}__{self.name}"


@dataclass(frozen=True)
class Operation:
    """A command: the plan of its operation and what it takes."""

    plan: JSON
    tag: str
    name: str
    aliases: tuple[str, ...]
    summary: str
    description: str
    positional: Option | None
    options: tuple[Option, ...]
    body_required: tuple[str, ...]  # required JSON or form fields (checked after --data merges)
    takes_data: bool  # has a JSON or form body: --data

    @property
    def path_names(self) -> list[str]:
        """The path parameters, in the order of the path."""
        return _PARAMETER.findall(self.plan["path"])


def _deref(spec: JSON, schema: Any) -> Any:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        target: Any = spec
        for key in schema["$ref"][2:].split("/"):
            target = target[key.replace("~1", "/").replace("~0", "~")]
        schema = target
    return schema


def _nonnull(spec: JSON, schema: Any) -> Any:
    """The schema without its `null` branch (`anyOf: [X, null]` is X)."""
    schema = _deref(spec, schema)
    if isinstance(schema, dict) and "anyOf" in schema:
        branches = [b for b in schema["anyOf"] if _deref(spec, b).get("type") != "null"]
        if len(branches) == 1:
            return {
                **_deref(spec, branches[0]),
                **{k: v for k, v in schema.items() if k != "anyOf"},
            }
    return schema


_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def _typed(spec: JSON, schema: Any) -> tuple[str, bool, tuple[str, ...] | None]:
    """(type, many, choices) of a schema: a scalar, an array of them, or anything else as JSON."""
    schema = _nonnull(spec, schema)
    if not isinstance(schema, dict):
        return "json", False, None
    if schema.get("type") == "array":
        kind, many, choices = _typed(spec, schema.get("items", {}))
        return (kind, True, choices) if not many and kind != "json" else ("json", False, None)
    enum = schema.get("enum")
    if isinstance(enum, list) and all(isinstance(v, str) for v in enum):
        return "str", False, tuple(enum)
    return _SCALARS.get(str(schema.get("type")), "json"), False, None


def _help(schema: Any, description: str | None = None) -> str:
    text = description or (schema.get("description") if isinstance(schema, dict) else "") or ""
    return " ".join(str(text).split())


def _body_schema(spec: JSON, operation: JSON, media_type: str) -> JSON | None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    if media_type not in content:
        return None
    schema = _nonnull(spec, (content[media_type] or {}).get("schema") or {})
    return schema if isinstance(schema, dict) and "properties" in schema else None


def _field_options(
    spec: JSON, body: JSON, where: str, files_of: Mapping[str, str], taken: set[str]
) -> list[Option]:
    """The fields of a body that an option can give (scalars, enums, lists of them), and the
    files of a form (`files_of`: the plan's `file_fields`, "one" or "many" by field)."""
    options = []
    for name, schema in body.get("properties", {}).items():
        files = files_of.get(name)
        if files:
            kind, many = "file", files == "many"
            options.append(
                Option(
                    name,
                    "file",
                    "str",
                    many=many,
                    required=name in body.get("required", []),
                    help=_help(_nonnull(spec, schema)) or ("files" if many else "a file"),
                )
            )
            taken.add(options[-1].flag)
            continue
        kind, many, choices = _typed(spec, schema)
        option = Option(
            name,
            where,
            kind,
            many=many,
            choices=choices,
            default=_nonnull(spec, schema).get("default"),
            help=_help(_nonnull(spec, schema)),
        )
        if kind == "json" or option.flag in taken:
            continue  # an object, or named like a parameter: through --data
        taken.add(option.flag)
        options.append(option)
    return options


def operation(spec: JSON, plan: JSON) -> Operation:
    """The command of one plan."""
    item = spec["paths"][plan["path"]]
    op: JSON = item[plan["http_method"].lower()]
    parameters = [_deref(spec, p) for p in [*item.get("parameters", []), *op.get("parameters", [])]]
    path_names = _PARAMETER.findall(plan["path"])
    defaults = {python for python, _ in plan.get("client_defaults", [])}
    own = path_names[-1] if plan.get("positional") else None
    positional = None
    options: list[Option] = []
    taken = set(RESERVED_FLAGS)
    for parameter in parameters:
        if parameter.get("in") not in ("path", "query"):
            continue
        schema = parameter.get("schema", {})
        kind, many, choices = _typed(spec, schema)
        name = parameter["name"]
        optional_id = parameter["in"] == "path" and name in defaults
        option = Option(
            name,
            parameter["in"],
            kind,
            many=many,
            required=bool(parameter.get("required")) and not optional_id,
            choices=choices,
            default=_nonnull(spec, schema).get("default"),
            help=_help(_nonnull(spec, schema), parameter.get("description")),
            optional_id=optional_id,
        )
        if name == own and parameter["in"] == "path":
            positional = option
        else:
            options.append(option)
            taken.add(option.flag)
    required: tuple[str, ...] = ()
    takes_data = False
    for media_type, where in (("application/json", "body"), ("multipart/form-data", "form")):
        body = _body_schema(spec, op, media_type)
        if body is not None:
            takes_data = True
            files_of = dict(plan.get("file_fields", ())) if where == "form" else {}
            options += _field_options(spec, body, where, files_of, taken)
            files = {o.name for o in options if o.where == "file"}
            required = tuple(n for n in body.get("required", []) if n not in files)
    method = str(plan["method"])
    name = str(plan.get("cli_name") or kebab(method))
    aliases = tuple(a for a in (kebab(method),) if a != name)
    return Operation(
        plan=plan,
        tag=kebab(str(plan["namespace"])),
        name=name,
        aliases=aliases,
        summary=_help(None, op.get("summary")) or kebab(method),
        description=str(op.get("description") or ""),
        positional=positional,
        options=tuple(options),
        body_required=required,
        takes_data=takes_data,
    )


def operations(
    plans: Mapping[str, JSON] | None = None, spec: JSON | None = None
) -> list[Operation]:
    """Every operation's command (`plans`, `spec`: the packaged ones by default)."""
    plans = plans_table() if plans is None else plans
    spec = spec_document() if spec is None else spec
    return [operation(spec, plan) for _, plan in sorted(plans.items())]
