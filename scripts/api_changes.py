"""The API change between two generations, read from the generated code, and what it breaks.

`load(root)` reads the public surface of `root/meibel_api_v2` statically with griffe (nothing is
imported): each namespace's methods (`agents.list_agents`) with their parameters and return
annotation, and each model's attrs fields and each enum's values. The namespaces are the
synchronous resource classes of `api/<tag>/__init__.py`; their async twins are generated from the
same operations by the same template, and the per-call options every method takes, the
`*WithRawResponse` classes and the low-level endpoint modules are left out.

`compare(old, new)` classifies each difference by what it does to a caller: `[BREAKING]` for a
method, parameter, model, field or enum value removed (or likely renamed), a new required
parameter, a parameter retyped (except widened) or made required, a return type changed, a
response-model field retyped, a request-model field made required or narrowed, an enum value
removed; `+` for additions and `~` for other changes. Whether a model is sent or received comes
from the spec kept beside the code (`meibel_api_v2/openapi.json`): the schemas reachable from
request bodies and parameters, and those reachable from responses.

Usage: python -m scripts.api_changes OLD_GENERATED_DIR NEW_GENERATED_DIR
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import griffe

from .prose import words

PACKAGE = "meibel_api_v2"
# Every method takes these keyword-only overrides (scripts/api_index.py says so once).
PER_CALL_OPTIONS = frozenset({"timeout", "deadline", "extra_headers", "extra_query", "extra_body"})
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_ROLES = frozenset({"request", "response"})
JSON = dict[str, Any]
Level = Literal["major", "minor", "patch"]
_RANK: dict[Level, int] = {"major": 0, "minor": 1, "patch": 2}


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


@dataclass(frozen=True)
class Change:
    level: Level
    subject: str
    line: str

    def __str__(self) -> str:
        return f"[BREAKING] {self.line}" if self.level == "major" else self.line


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


# Comparing two surfaces.


def compare(old: Surface, new: Surface) -> list[Change]:
    """Every difference between two surfaces: breaking ones first, then operations before models."""
    sections = enumerate((_compare_members(old.members, new), _compare_models(old, new)))
    keyed = [(_RANK[c.level], section, c.subject, c) for section, found in sections for c in found]
    return [c for *_, c in sorted(keyed, key=lambda k: k[:3])]


def _pairs(
    removed: list[str],
    added: list[str],
    shape: Callable[[str], Hashable],
    may_pair: Callable[[str, str], bool] = lambda a, b: True,
) -> list[tuple[str, str]]:
    """Likely renames: a removed and an added name of one shape, with no rival on either side."""
    candidates = {a: [b for b in added if may_pair(a, b) and shape(a) == shape(b)] for a in removed}
    pairs = []
    for before, (after, *others) in ((a, c) for a, c in candidates.items() if c):
        rivals = [a for a, c in candidates.items() if after in c]
        if not others and rivals == [before]:
            pairs.append((before, after))
    return pairs


def _compare_members(old: dict[str, Member], surface: Surface) -> list[Change]:
    new = surface.members
    removed = sorted(old.keys() - new.keys())
    added = sorted(new.keys() - old.keys())
    same_namespace = lambda a, b: a.split(".")[0] == b.split(".")[0]  # noqa: E731
    changes = []
    for before, after in _pairs(removed, added, lambda n: old.get(n) or new[n], same_namespace):
        changes.append(Change("major", before, f"likely renamed {before} -> {after}"))
        removed.remove(before)
        added.remove(after)
    changes += [Change("major", name, f"{name}: removed") for name in removed]
    changes += [Change("minor", name, f"+ {name}{new[name].render()}") for name in added]
    for name in sorted(old.keys() & new.keys()):
        changes += _member_changes(name, old[name], new[name], surface)
    return changes


def _member_changes(name: str, old: Member, new: Member, surface: Surface) -> list[Change]:
    if old == new:
        return []
    if old.kind == new.kind == "property" and old.returns and new.returns:
        was, now = old.returns.text, new.returns.text
        if surface.is_subclass(now, was):
            line = f"~ {name}: now {now}, a subclass of {was} (every member of {was} is kept)"
            return [Change("minor", name, line)]
    if old.kind != new.kind or old.kind != "method":
        line = f"{name}: {name}{new.render()} (was {name}{old.render()})"
        return [Change("major", name, line)]
    changes = []
    if old.returns != new.returns:
        was = old.returns.text if old.returns else None
        returns = new.returns.text if new.returns else None
        changes.append(Change("major", name, f"{name}: returns {returns} (was {was})"))
    before = {p.name: p for p in old.params}
    after = {p.name: p for p in new.params}
    removed = [p for p in before if p not in after]
    added = [p for p in after if p not in before]
    shape = lambda p: _param_shape(before.get(p) or after[p])  # noqa: E731
    for gone, came in _pairs(removed, added, shape):
        changes.append(Change("major", name, f"{name}: likely renamed parameter {gone} -> {came}"))
        removed.remove(gone)
        added.remove(came)
    changes += [Change("major", name, f"{name}: parameter {p} removed") for p in removed]
    for param in (after[p] for p in added):
        if param.required:
            line = f"{name}: new required parameter {param.render()}"
            changes.append(Change("major", name, line))
        else:
            changes.append(Change("minor", name, f"+ {name}: new parameter {param.render()}"))
    for p in (p for p in before if p in after and before[p] != after[p]):
        level = _param_level(before[p], after[p])
        line = f"{name}: parameter {after[p].render()} (was {before[p].spec()})"
        if before[p].kind != after[p].kind:
            line += f", now {after[p].kind}"
        changes.append(Change(level, name, line if level == "major" else f"~ {line}"))
    positional = [p.name for p in old.params if p.kind != "keyword-only" and p.name in after]
    now_positional = [p.name for p in new.params if p.kind != "keyword-only" and p.name in before]
    if positional != now_positional and set(positional) == set(now_positional):
        order, was = ", ".join(now_positional), ", ".join(positional)
        line = f"{name}: positional parameters in the order ({order}) (was ({was}))"
        changes.append(Change("major", name, line))
    return changes


def _param_shape(param: Param) -> Hashable:
    return (param.kind, param.annotation, param.required)


def _param_level(old: Param, new: Param) -> Level:
    levels: list[Level] = ["patch"]  # a default changed, nothing else
    if old.kind != new.kind:
        levels.append("minor" if new.kind == "positional or keyword" else "major")
    if old.required != new.required:
        levels.append("major" if new.required else "minor")
    if old.annotation != new.annotation:
        levels.append("minor" if new.annotation.widens(old.annotation) else "major")
    return min(levels, key=_RANK.__getitem__)


def _compare_models(old: Surface, new: Surface) -> list[Change]:
    removed = sorted(old.models.keys() - new.models.keys())
    added = sorted(new.models.keys() - old.models.keys())
    changes = []
    shape = lambda n: (old.models.get(n) or new.models[n]).shape()  # noqa: E731
    for before, after in _pairs(removed, added, shape):
        changes.append(Change("major", before, f"likely renamed model {before} -> {after}"))
        removed.remove(before)
        added.remove(after)
    changes += [Change("major", name, f"model {name}: removed") for name in removed]
    for name in added:
        model = new.models[name]
        changes.append(Change("minor", name, f"+ {model.render(name)}"))
    for name in sorted(old.models.keys() & new.models.keys()):
        was, now = old.models[name], new.models[name]
        if was == now:
            continue
        if was.kind != now.kind:
            line = f"model {name}: now an {now.kind} (was an {was.kind})"
            changes.append(Change("major", name, line))
        elif was.kind == "enum":
            changes += _enum_changes(name, was, now)
        else:
            roles = old.roles.get(name, frozenset()) | new.roles.get(name, frozenset())
            changes += _field_changes(name, was, now, roles or _ROLES)
    return changes


def _enum_changes(name: str, old: Model, new: Model) -> list[Change]:
    changes = []
    now = set(new.values.values())
    was = set(old.values.values())
    for member, value in sorted(old.values.items()):
        if value not in now:
            line = f"{name}.{member}: enum value {value} removed"
            changes.append(Change("major", f"{name}.{member}", line))
    for member, value in sorted(new.values.items()):
        if value not in was:
            line = f"+ enum value {name}.{member} = {value}"
            changes.append(Change("minor", f"{name}.{member}", line))
    return changes


def _field_changes(name: str, old: Model, new: Model, roles: frozenset[str]) -> list[Change]:
    removed = sorted(old.fields.keys() - new.fields.keys())
    added = sorted(new.fields.keys() - old.fields.keys())
    changes = []
    shape = lambda f: old.fields.get(f) or new.fields[f]  # noqa: E731
    for gone, came in _pairs(removed, added, shape):
        line = f"likely renamed field {name}.{gone} -> {name}.{came}"
        changes.append(Change("major", f"{name}.{gone}", line))
        removed.remove(gone)
        added.remove(came)
    changes += [Change("major", f"{name}.{f}", f"{name}.{f}: field removed") for f in removed]
    for f in added:
        field_ = new.fields[f]
        if field_.required and "request" in roles:
            line = f"{name}.{f}: new required field: {field_.annotation.text}"
            changes.append(Change("major", f"{name}.{f}", line))
        else:
            required = " (required)" if field_.required else ""
            line = f"+ field {name}.{f}: {field_.annotation.text}{required}"
            changes.append(Change("minor", f"{name}.{f}", line))
    for f in sorted(old.fields.keys() & new.fields.keys()):
        before, after = old.fields[f], new.fields[f]
        if before == after:
            continue
        level = _field_level(before, after, roles)
        line = f"{name}.{f}: now {after.spec()} (was {before.spec()})"
        changes.append(
            Change(level, f"{name}.{f}", line if level == "major" else f"~ field {line}")
        )
    return changes


def _field_level(old: Field, new: Field, roles: frozenset[str]) -> Level:
    levels: list[Level] = ["patch"]  # a default changed, nothing else
    if old.annotation != new.annotation:
        if "response" in roles or not new.annotation.widens(old.annotation):
            levels.append("major")  # a reader sees another type, or a sender may no longer fit
        else:
            levels.append("minor")
    if old.required != new.required and "request" in roles:
        levels.append("major" if new.required else "minor")
    return min(levels, key=_RANK.__getitem__)


# The report and the changelog.


def bump(changes: list[Change]) -> Level | None:
    """The semver bump the changes imply; None when there are none."""
    return min((c.level for c in changes), key=_RANK.__getitem__, default=None)


def semver_line(changes: list[Change], version: str | None = None) -> str:
    """`semver: major (...)`, with what it means for `version` before 1.0 (docs/installing.md)."""
    level = bump(changes) or "patch"
    after = None
    numbers = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version or "")
    if numbers and numbers[1] == "0":
        minor, patch = int(numbers[2]), int(numbers[3])
        after = f"0.{minor + 1}.0" if level == "major" else f"0.{minor}.{patch + 1}"
    return _words("semver")(level, version, after)


def heading(changes: list[Change]) -> str:
    """The line above the report: how many changes of each kind, or that there are none."""
    breaking = sum(1 for change in changes if change.level == "major")
    additions = sum(1 for change in changes if change.level != "major" and change.line[0] == "+")
    return _words("heading")(breaking, additions, len(changes) - breaking - additions)


def _words(macro: str) -> Callable[..., str]:
    """A line of the report's prose: scripts/templates/api_changes.txt.jinja."""
    return words("api_changes.txt.jinja", macro)


def report(changes: list[Change], version: str | None = None) -> list[str]:
    """One line per change and the semver line; empty when nothing changed."""
    if not changes:
        return []
    return [*map(str, changes), semver_line(changes, version)]


def package_version(root: Path) -> str | None:
    """`__version__` of meibel/_version.py under `root`, if there is one."""
    path = root / "meibel" / "_version.py"
    found = path.exists() and re.search(r'^__version__ = "([^"]+)"', path.read_text(), re.M)
    return found[1] if found else None


def write_changelog(path: Path, spec_version: str, lines: list[str]) -> bool:
    """Put `lines` under `## [Unreleased]` as `### API (regenerated from spec ...)`.

    A previous such subsection is replaced, so repeated regenerations do not pile up. Nothing is
    written when there are no lines or no changelog.
    """
    if not lines or not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    items = "\n".join(f"- ``{line}``" if "`" in line else f"- `{line}`" for line in lines)
    fragment = f"{_words('changelog_heading')(spec_version)}\n\n{items}\n"
    unreleased = re.search(r"^## \[Unreleased\][^\n]*\n", text, re.M)
    if unreleased is None:
        first = re.search(r"^## ", text, re.M)
        at = first.start() if first else len(text)
        text = f"{text[:at]}## [Unreleased]\n\n{text[at:]}"
        unreleased = re.search(r"^## \[Unreleased\][^\n]*\n", text, re.M)
        assert unreleased is not None
    start = unreleased.end()
    following = re.search(r"^## ", text[start:], re.M)
    end = start + following.start() if following else len(text)
    section = text[start:end]
    previous = re.search(
        r"^### API \(regenerated from spec [^\n]*\n.*?(?=^##|\Z)", section, re.S | re.M
    )
    if previous:
        section = f"{section[: previous.start()]}{fragment}\n{section[previous.end() :]}"
    else:
        section = "\n" + fragment + "\n" + section.lstrip("\n")
    path.write_text(text[:start] + section + text[end:], encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    old, new = (load(Path(arg)) for arg in argv)
    changes = compare(old, new)
    print("\n".join([heading(changes), *report(changes)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
