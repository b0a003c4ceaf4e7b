"""The vendor SDK's call shapes, handed to the templates as `spec_extras.jinja`.

Code written for the vendor's own SDK should run on ours. Two sources name its calls, and both go
through the same rules here:

- the spec's Python `x-codeSamples` (openapi-python-client drops vendor extensions, so the
  templates never see them): `client.sessions.get_messages(...)`,
  `client.agents.sessions.send_chat_message(...)`;
- openapi/vendor-names.json `calls`, the call shapes of the vendor SDK's README:
  `"datasources.content.upload_content": "uploadContent"`.

A call is `client.<namespace>.<name>` or `client.<parent>.<sub>.<name>`. Rendered as Jinja data:

- METHOD_ALIASES: {namespace: {alias: method}}, e.g. sessions.get_messages -> get_session_messages
- SUBNAMESPACES: {parent: {sub: {"target": namespace or "", "methods": {name: method}}}}:
  `client.<parent>.<sub>` is the `target` namespace (datasources.content -> file_upload), plus
  `methods`, operations of the parent the vendor calls through the sub-namespace
  (agents.sessions.create_session -> agents' create_session). With `methods` it is a class of its
  own, `<Parent><Sub>(<Target>)`; without, the target namespace itself.

Anything else raises UnsupportedCallShape naming the entry, and `make regen` refuses the spec.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JSON = dict[str, Any]
VENDOR_NAMES = Path(__file__).resolve().parent.parent / "openapi" / "vendor-names.json"
_CALL = re.compile(r"\bclient\.([A-Za-z_][\w.]*)\s*\(")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*\Z")


class UnsupportedCallShape(ValueError):
    """A vendor call shape the templates cannot express, or one naming no operation."""


def snake(name: str) -> str:
    """Python identifier for an operationId or tag, as openapi-python-client spells it."""
    name = re.sub(r"[^0-9A-Za-z]+", " ", name).strip()
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)
    return "_".join(name.lower().split())


def vendor_names(path: Path = VENDOR_NAMES) -> JSON:
    """openapi/vendor-names.json: `calls`, `fields` and `client_defaults`."""
    names: JSON = json.loads(path.read_text(encoding="utf-8"))
    return names


@dataclass(frozen=True)
class Call:
    """One vendor call shape: `client.<path>(...)` calling `operation_id`, found at `where`."""

    where: str
    path: str
    operation_id: str


def calls(spec: JSON, names: JSON | None = None) -> list[Call]:
    """Every vendor call shape: the spec's Python code samples, then vendor-names.json's calls."""
    found = []
    for item in spec.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            for sample in operation.get("x-codeSamples", []):
                if str(sample.get("lang", "")).lower() != "python":
                    continue
                for match in _CALL.finditer(sample.get("source", "")):
                    where = f"{operation.get('operationId')}: code sample"
                    found.append(Call(where, match.group(1), str(operation.get("operationId"))))
    names = vendor_names() if names is None else names
    for path, operation_id in names.get("calls", {}).items():
        found.append(Call(f"openapi/vendor-names.json calls {path!r}", path, str(operation_id)))
    return found


def _operations(spec: JSON) -> dict[str, tuple[str, str]]:
    """operationId -> (namespace, method) for every tagged operation."""
    return {
        str(operation["operationId"]): (
            snake(operation["tags"][0]),
            snake(operation["operationId"]),
        )
        for item in spec.get("paths", {}).values()
        for method, operation in item.items()
        if method in _METHODS and isinstance(operation, dict) and operation.get("tags")
    }


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    """A cycle of namespace modules importing each other (a class subclassing the next's)."""

    def walk(path: list[str]) -> list[str]:
        for following in sorted(edges.get(path[-1], ())):
            if following in path:
                return [*path[path.index(following) :], following]
            found = walk([*path, following])
            if found:
                return found
        return []

    for start in sorted(edges):
        found = walk([start])
        if found:
            return found
    return []


def call_shapes(spec: JSON, names: JSON | None = None) -> dict[str, dict[str, Any]]:
    """Aliases and sub-namespaces implied by the vendor's call shapes (see the module doc)."""
    operations = _operations(spec)
    namespaces = {namespace for namespace, _ in operations.values()}
    methods: dict[str, set[str]] = {}
    for namespace, method in operations.values():
        methods.setdefault(namespace, set()).add(method)
    aliases: dict[str, dict[str, str]] = {}
    subnamespaces: dict[str, dict[str, JSON]] = {}
    for call in calls(spec, names):

        def refuse(reason: str, call: Call = call) -> UnsupportedCallShape:
            return UnsupportedCallShape(f"{call.where}: client.{call.path}(): {reason}")

        if call.operation_id not in operations:
            raise refuse(f"no operation has operationId {call.operation_id!r}")
        namespace, canonical = operations[call.operation_id]
        *prefix, name = call.path.split(".")
        if not all(_IDENTIFIER.match(part) for part in (*prefix, name)):
            raise refuse("each part must be a lower-case Python identifier")
        if prefix == [namespace]:
            if name != canonical:
                aliases.setdefault(namespace, {})[name] = canonical
            continue
        if len(prefix) != 2 or prefix[0] not in namespaces:
            raise refuse(
                f"expected client.{namespace}.<method> or client.<namespace>.<name>.<method> "
                f"(the operation is tagged {namespace!r})"
            )
        parent, sub = prefix
        entry = subnamespaces.setdefault(parent, {}).setdefault(sub, {"target": "", "methods": {}})
        if namespace == parent:
            entry["methods"][name] = canonical  # an operation of the parent, moved into `sub`
            continue
        if entry["target"] not in ("", namespace):
            raise refuse(f"client.{parent}.{sub} is already the {entry['target']!r} namespace")
        entry["target"] = namespace
        if name != canonical:
            aliases.setdefault(namespace, {})[name] = canonical

    for parent, subs in subnamespaces.items():
        for sub, entry in subs.items():
            where = f"client.{parent}.{sub}"
            if not entry["target"] and sub in namespaces:
                entry["target"] = sub
            if sub in methods[parent] or sub in aliases.get(parent, {}):
                raise UnsupportedCallShape(f"{where}: {parent} already has a method {sub!r}")
            target = entry["target"]
            taken = methods.get(target, set()) | set(aliases.get(target, {}))
            clash = sorted(set(entry["methods"]) & taken)
            if clash:
                raise UnsupportedCallShape(
                    f"{where}: {', '.join(clash)} would hide the {target} method of that name"
                )
    edges: dict[str, set[str]] = {}
    for parent, subs in subnamespaces.items():
        for entry in subs.values():
            if entry["methods"] and entry["target"]:
                edges.setdefault(parent, set()).add(entry["target"])
    cycle = _cycle(edges)
    if cycle:
        raise UnsupportedCallShape(
            "sub-namespaces with methods of their own form a cycle: " + " -> ".join(cycle)
        )
    return {"METHOD_ALIASES": aliases, "SUBNAMESPACES": subnamespaces}


def problems(spec: JSON, names: JSON | None = None) -> list[str]:
    """Why the vendor's call shapes cannot be generated (one line), or nothing."""
    try:
        call_shapes(spec, names)
    except UnsupportedCallShape as error:
        return [str(error)]
    return []


def render(spec: JSON, names: JSON | None = None) -> str:
    """The Jinja module that templates import: `{% from "spec_extras.jinja" import ... %}`."""
    lines = [
        "{#- Generated by scripts/spec_extras.py from the spec's x-codeSamples and "
        "openapi/vendor-names.json. -#}"
    ]
    for name, value in call_shapes(spec, names).items():
        lines.append(f"{{% set {name} = {json.dumps(value, sort_keys=True)} %}}")
    return "\n".join(lines) + "\n"
