"""The public surface of a generated tree, read statically with griffe (nothing is imported).

`load(root)` gives each namespace's methods (`agents.list_agents`) with their parameters and
return annotation, and each model's attrs fields and each enum's values, and from the spec kept
beside the code (`meibel_api_v2/openapi.json`) whether each model is sent, received or both.
scripts/api_changes.py compares two of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import griffe

__all__ = ["Annotation", "Field", "Member", "Model", "Param", "Surface", "load", "operations"]

PACKAGE = "meibel_api_v2"
# Every method takes these keyword-only overrides (scripts/api_index.py says so once).
PER_CALL_OPTIONS = frozenset({"timeout", "deadline", "extra_headers", "extra_query", "extra_body"})
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON = dict[str, Any]


@dataclass(frozen=True)
class Annotation:
    """An annotation as written; compared as the set of its top-level union members."""

    text: str = field(compare=False)
    members: frozenset[str]

    @classmethod
    def of(cls, expr: str | griffe.Expr | None) -> Annotation:
        return cls(str(expr), frozenset(_union(expr)))

    def widens(self, old: Annotation) -> bool:
        return self.members > old.members


def _union(expr: str | griffe.Expr | None) -> Iterator[str]:
    if isinstance(expr, griffe.ExprBinOp) and expr.operator == "|":
        yield from _union(expr.left)
        yield from _union(expr.right)
    else:
        yield str(expr)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    annotation: Annotation
    default: str | None

    @property
    def required(self) -> bool:
        return self.default is None

    def spec(self) -> str:
        """`int | Unset = 20`: the annotation and the default, if any."""
        text = self.annotation.text
        if self.default is None:
            return text
        # A body field's keyword: not given unless passed (meibel/_resource.py `_OMITTED`).
        default = "..." if self.default.endswith("._OMITTED") else self.default
        return f"{text} = {default}"

    def render(self) -> str:
        return f"{self.name}: {self.spec()}"


@dataclass(frozen=True)
class Member:
    """A method, a property (a sub-namespace) or an alias (`get_messages = get_session_messages`)"""

    kind: Literal["method", "property", "alias"]
    params: tuple[Param, ...] = ()
    returns: Annotation | None = None
    target: str | None = None

    def render(self) -> str:
        if self.kind == "alias":
            return f" = {self.target}"
        if self.kind == "property":
            return f": {self.returns.text if self.returns else ''} (property)"
        parts, keyword_only = [], False
        for param in self.params:
            if param.kind == "keyword-only" and not keyword_only:
                parts.append("*")
                keyword_only = True
            parts.append(param.render())
        return f"({', '.join(parts)}) -> {self.returns.text if self.returns else 'None'}"


@dataclass(frozen=True)
class Field:
    annotation: Annotation
    default: str | None

    @property
    def required(self) -> bool:
        return self.default is None

    def spec(self) -> str:
        """`str | Unset = UNSET`: the annotation and the default, if any."""
        text = self.annotation.text
        if self.default is None:
            return text
        # A body field's keyword: not given unless passed (meibel/_resource.py `_OMITTED`).
        default = "..." if self.default.endswith("._OMITTED") else self.default
        return f"{text} = {default}"


@dataclass(frozen=True)
class Model:
    kind: Literal["class", "enum"]
    fields: dict[str, Field]
    values: dict[str, str]  # enum member name -> value as written

    def render(self, name: str) -> str:
        """`model Name(a: str, b: int | Unset)` or `enum Name: 'x', 'y'`."""
        if self.kind == "enum":
            return f"enum {name}: {', '.join(sorted(self.values.values()))}"
        fields = (
            f"{field_name}: {f.annotation.text}"
            for field_name, f in self.fields.items()
            if field_name != "additional_properties"  # the catch-all for keys the spec omits
        )
        return f"model {name}({', '.join(fields)})"

    def shape(self) -> Hashable:
        if self.kind == "enum":
            return ("enum", frozenset(self.values.values()))
        return ("class", frozenset(self.fields.items()))


@dataclass
class Surface:
    members: dict[str, Member]  # "namespace.name", "namespace.sub.name" for a sub-namespace's
    models: dict[str, Model]
    roles: dict[str, frozenset[str]]  # model -> {"request", "response"}; absent: unknown
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # resource class -> bases

    def is_subclass(self, name: str, of: str) -> bool:
        """Whether the resource class `name` is `of` or inherits from it."""
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current == of:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(self.bases.get(current, ()))
        return False


# Reading a generated tree.


def load(root: Path) -> Surface:
    """The public surface of `root/meibel_api_v2`, read without importing it."""
    root = root.resolve()
    loader = griffe.GriffeLoader(search_paths=[root], allow_inspection=False, store_source=False)
    package = loader.load(PACKAGE, try_relative_path=False)
    found = getattr(package, "filepath", None)
    if not isinstance(package, griffe.Module) or not Path(str(found)).is_relative_to(root):
        raise SystemExit(f"api_changes: no {PACKAGE} package in {root} (found {found})")
    members: dict[str, Member] = {}
    bases: dict[str, tuple[str, ...]] = {}
    resources: dict[str, griffe.Class] = {}
    for namespace, module in _submodules(package, "api"):
        for cls in _classes(module):
            bases[cls.name] = tuple(str(base) for base in cls.bases)
            resources[cls.name] = cls
            # The base's name before and after the one-door boundary (meibel/_resource.py).
            if any(str(base) in ("SyncResource", "SyncAPIResource") for base in cls.bases):
                for name, member in _resource_members(cls):
                    members[f"{namespace}.{name}"] = member
    # A sub-namespace of its own class (`agents.sessions`, a Sessions with more methods): the
    # methods that class adds are `namespace.sub.method`.
    for key, member in list(members.items()):
        own = resources.get(member.returns.text) if member.returns else None
        if member.kind == "property" and own is not None and not _is_namespace_class(own):
            for name, added in _resource_members(own):
                members[f"{key}.{name}"] = added
    models = {
        cls.name: _model(cls)
        for _, module in _submodules(package, "models")
        for cls in _classes(module)
    }
    spec_path = root / PACKAGE / "openapi.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8")) if spec_path.exists() else {}
    return Surface(members, models, _roles(spec, models), bases)


def _is_namespace_class(cls: griffe.Class) -> bool:
    return any(str(base) in ("SyncResource", "SyncAPIResource") for base in cls.bases)


def _submodules(package: griffe.Module, name: str) -> Iterator[tuple[str, griffe.Module]]:
    parent = package.modules.get(name)
    if parent is not None:
        yield from sorted(parent.modules.items())


def _classes(module: griffe.Module) -> Iterator[griffe.Class]:
    for member in module.members.values():
        if not member.is_alias and isinstance(member, griffe.Class):
            yield member


def _resource_members(cls: griffe.Class) -> Iterator[tuple[str, Member]]:
    for name, member in cls.members.items():
        if name.startswith("_") or name == "with_raw_response" or member.is_alias:
            continue
        if isinstance(member, griffe.Function):
            params = tuple(
                Param(p.name, p.kind.value, Annotation.of(p.annotation), _text(p.default))
                for p in member.parameters
                if p.name != "self" and p.name not in PER_CALL_OPTIONS
            )
            yield name, Member("method", params, Annotation.of(member.returns))
        elif isinstance(member, griffe.Attribute) and "property" in member.labels:
            yield name, Member("property", returns=Annotation.of(member.annotation))
        elif isinstance(member, griffe.Attribute) and member.value is not None:
            yield name, Member("alias", target=str(member.value))


def _model(cls: griffe.Class) -> Model:
    public = [
        (name, member)
        for name, member in cls.members.items()
        if isinstance(member, griffe.Attribute)
        and not member.is_alias
        and not name.startswith("_")
        and "property" not in member.labels
    ]
    if any(str(base).endswith("Enum") for base in cls.bases):
        return Model("enum", {}, {name: str(member.value) for name, member in public})
    fields = {
        name: Field(Annotation.of(member.annotation), _text(member.value))
        for name, member in public
        if member.annotation is not None
    }
    return Model("class", fields, {})


def _text(expr: str | griffe.Expr | None) -> str | None:
    return None if expr is None else str(expr)


# Which models are sent and which are received, from the spec.


def operations(spec: JSON) -> dict[str, JSON]:
    """The spec's operations by operationId (or `METHOD /path` when it has none)."""
    found = {}
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                operation = item[method]
                found[operation.get("operationId") or f"{method.upper()} {path}"] = operation
    return found


def _key(name: str) -> str:
    """Schema names and the generator's class names agree once reduced to letters and digits."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _reachable(spec: JSON, roots: Iterable[Any]) -> set[str]:
    """The component schemas that `roots` reference, following $refs transitively."""
    seen: set[str] = set()
    schemas: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
                seen.add(ref)
                target: Any = spec
                for part in ref[2:].split("/"):
                    part = part.replace("~1", "/").replace("~0", "~")
                    target = target.get(part) if isinstance(target, dict) else None
                if ref.startswith("#/components/schemas/"):
                    schemas.add(ref.rsplit("/", 1)[1])
                stack.append(target)
            stack.extend(value for key, value in node.items() if key != "$ref")
    return schemas


def _roles(spec: JSON, models: dict[str, Model]) -> dict[str, frozenset[str]]:
    sent: list[Any] = []
    received: list[Any] = []
    for path_item in spec.get("paths", {}).values():
        sent.append(path_item.get("parameters", []))
        for operation in operations({"paths": {"": path_item}}).values():
            sent += [operation.get("parameters", []), operation.get("requestBody", {})]
            received.append(operation.get("responses", {}))
    by_key = {_key(name): name for name in models}
    roles: dict[str, set[str]] = {}
    for role, roots in (("request", sent), ("response", received)):
        for schema in _reachable(spec, roots):
            known = schema if schema in models else by_key.get(_key(schema))
            if known is not None:
                roles.setdefault(known, set()).add(role)
    # Inline bodies and responses are named after their operation (StreamUploadProgressResponse200).
    for operation_id in operations(spec):
        for name in models.keys() - roles.keys():
            rest = _key(name).removeprefix(_key(operation_id))
            if rest != _key(name) and re.fullmatch(r"response\d*|body", rest):
                roles[name] = {"request" if rest == "body" else "response"}
    # Inline models (`AgentDetailResponseToolsItem`) take the roles of the models that hold them.
    changed = True
    while changed:
        changed = False
        for name, model in models.items():
            for field_ in model.fields.values():
                for used in _names(field_.annotation.text):
                    if used in models and not roles.get(name, set()) <= roles.get(used, set()):
                        roles.setdefault(used, set()).update(roles.get(name, set()))
                        changed = True
    return {name: frozenset(found) for name, found in roles.items()}


def _names(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
