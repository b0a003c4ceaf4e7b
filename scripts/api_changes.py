"""The API change between two generations, read from the generated code, and what it breaks.

`load(root)` (scripts/_api_surface.py) reads the public surface of `root/meibel_api_v2` statically
with griffe (nothing is imported): each namespace's methods (`agents.list_agents`) with their
parameters and return annotation, and each model's attrs fields and each enum's values. The
namespaces are the synchronous resource classes of `api/<tag>/__init__.py`; their async twins are
generated from the same operations by the same template, and the per-call options every method
takes, the `*WithRawResponse` classes and the low-level endpoint modules are left out.

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

import re
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ._api_surface import Field, Member, Model, Param, Surface, load
from .prose import words

_ROLES = frozenset({"request", "response"})
JSON = dict[str, Any]
Level = Literal["major", "minor", "patch"]
_RANK: dict[Level, int] = {"major": 0, "minor": 1, "patch": 2}


@dataclass(frozen=True)
class Change:
    level: Level
    subject: str
    line: str

    def __str__(self) -> str:
        return f"[BREAKING] {self.line}" if self.level == "major" else self.line


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
