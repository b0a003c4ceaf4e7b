"""Summarise the API change between two versions of the (normalised) spec.

Operations are matched by operationId and models by component schema name. A change is flagged
BREAKING when code written against the old version can fail against the new one: an operation or
model removed, an operation moved to another method or path, a parameter removed or made
required, a model property removed, retyped or made required, an enum value removed.

Usage: python scripts/spec_changes.py OLD.json NEW.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

JSON = dict[str, Any]
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(spec: JSON) -> dict[str, JSON]:
    operations = {}
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                operation = item[method]
                key = operation.get("operationId") or f"{method.upper()} {path}"
                operations[key] = {"method": method.upper(), "path": path, **operation}
    return operations


def _params(operation: JSON) -> dict[str, JSON]:
    return {f"{p.get('in')}:{p.get('name')}": p for p in operation.get("parameters", [])}


def _operation_changes(old: JSON, new: JSON) -> tuple[list[str], bool]:
    notes: list[str] = []
    breaking = False
    if (old["method"], old["path"]) != (new["method"], new["path"]):
        notes.append(f"moved {old['method']} {old['path']} -> {new['method']} {new['path']}")
        breaking = True
    old_params, new_params = _params(old), _params(new)
    for name in old_params.keys() - new_params.keys():
        notes.append(f"-param {name}")
        breaking = True
    for name in new_params.keys() - old_params.keys():
        required = bool(new_params[name].get("required"))
        notes.append(f"+param {name}" + (" (required)" if required else ""))
        breaking |= required
    for name in old_params.keys() & new_params.keys():
        if old_params[name] != new_params[name]:
            newly_required = new_params[name].get("required") and not old_params[name].get(
                "required"
            )
            notes.append(f"~param {name}" + (" (now required)" if newly_required else ""))
            breaking |= bool(newly_required)
    if old.get("requestBody") != new.get("requestBody"):
        newly_required = (new.get("requestBody") or {}).get("required") and not (
            old.get("requestBody") or {}
        ).get("required")
        notes.append("~request body" + (" (now required)" if newly_required else ""))
        breaking |= bool(newly_required) or (old.get("requestBody") and not new.get("requestBody"))
    for code in sorted(old.get("responses", {}).keys() | new.get("responses", {}).keys()):
        before, after = old.get("responses", {}).get(code), new.get("responses", {}).get(code)
        if before != after:
            notes.append(
                f"{'+' if before is None else '-' if after is None else '~'}response {code}"
            )
            breaking |= after is None and code.startswith("2")
    rest = {"summary", "description", "tags", "x-codeSamples", "security", "deprecated"}
    notes.extend(f"~{key}" for key in sorted(rest) if old.get(key) != new.get(key))
    return notes, breaking


def _model_changes(old: JSON, new: JSON) -> tuple[list[str], bool]:
    notes: list[str] = []
    breaking = False
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(old_props.keys() - new_props.keys()):
        notes.append(f"-{name}")
        breaking = True
    for name in sorted(new_props.keys() - old_props.keys()):
        notes.append(f"+{name}" + (" (required)" if name in new_required else ""))
        breaking |= name in new_required
    for name in sorted(old_props.keys() & new_props.keys()):
        if old_props[name] != new_props[name]:
            notes.append(f"~{name}")
            breaking |= _strip_docs(old_props[name]) != _strip_docs(new_props[name])
    for name in sorted((new_required - old_required) & old_props.keys()):
        notes.append(f"{name} now required")
        breaking = True
    removed_values = set(map(str, old.get("enum", []))) - set(map(str, new.get("enum", [])))
    if removed_values:
        notes.append("-enum " + ", ".join(sorted(removed_values)))
        breaking = True
    added_values = set(map(str, new.get("enum", []))) - set(map(str, old.get("enum", [])))
    if added_values:
        notes.append("+enum " + ", ".join(sorted(added_values)))
    if not notes and old != new:
        notes.append("~schema")
        breaking = _strip_docs(old) != _strip_docs(new)
    return notes, breaking


def _strip_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_docs(v) for k, v in node.items() if k not in ("title", "description")}
    if isinstance(node, list):
        return [_strip_docs(v) for v in node]
    return node


def _section(title: str, old: dict[str, JSON], new: dict[str, JSON], describe: Any) -> list[str]:
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    changed = []
    for name in sorted(old.keys() & new.keys()):
        if old[name] != new[name]:
            notes, breaking = describe(old[name], new[name])
            changed.append((name, notes, breaking))
    if not (added or removed or changed):
        return []
    lines = [f"{title}: +{len(added)} -{len(removed)} ~{len(changed)}"]
    lines += [f"  + {name}" for name in added]
    lines += [f"  - {name}  [BREAKING]" for name in removed]
    for name, notes, breaking in changed:
        flag = "  [BREAKING]" if breaking else ""
        lines.append(f"  ~ {name}: {'; '.join(notes)}{flag}")
    return lines


def summarize(old: JSON, new: JSON) -> list[str]:
    """Lines describing what changed from `old` to `new`; empty when the APIs are the same."""
    lines = _section("operations", operations(old), operations(new), _operation_changes)
    lines += _section(
        "models",
        old.get("components", {}).get("schemas", {}),
        new.get("components", {}).get("schemas", {}),
        _model_changes,
    )
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    old, new = (json.loads(Path(arg).read_text(encoding="utf-8")) for arg in argv)
    print("\n".join(summarize(old, new)) or "no API change")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
