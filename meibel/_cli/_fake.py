"""`--fake` for a generated command: every id its path names exists in the fake.

Each prefix of the operation's path that ends in a parameter and that the spec can GET
(`/datasources/{datasource_id}`, then `/datasources/{datasource_id}/data-elements/{...}`) is a
resource, named by the segment before the parameter; the id the command gives is seeded as one
(`FakeMeibel.seed`), parents first, with the parent ids its record has a field for. An id of
something the fake cannot seed (a download job) is left to the fake, which accepts any.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Any

from ._operations import Operation, spec_document

if TYPE_CHECKING:
    from ..testing import FakeMeibel

__all__ = ["seed_path_ids"]


def _record_fields(spec: dict[str, Any], path: str) -> set[str]:
    """The fields of what GET `path` answers."""
    operation = spec["paths"][path]["get"]
    ok = next((c for c in sorted(operation.get("responses", {})) if c.startswith("2")), None)
    content = operation["responses"][ok].get("content", {}) if ok else {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    while isinstance(schema, dict) and "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return set(schema.get("properties", {})) if isinstance(schema, dict) else set()


def seed_path_ids(
    fake: FakeMeibel, operation: Operation, args: argparse.Namespace, *, skip: set[str]
) -> None:
    spec = spec_document()
    values: dict[str, str] = {}
    for option in (operation.positional, *operation.options):
        if option is not None and option.where == "path":
            value = getattr(args, option.dest, None)
            if value is not None:
                values[option.name] = value
    segments = operation.plan["path"].split("/")
    parents: dict[str, str] = {}
    for index, segment in enumerate(segments):
        name = segment[1:-1] if segment.startswith("{") and segment.endswith("}") else None
        if name is None or name not in values:
            continue
        prefix = "/".join(segments[: index + 1])
        if index and "get" in spec["paths"].get(prefix, {}) and values[name] not in skip:
            fields = {k: v for k, v in parents.items() if k in _record_fields(spec, prefix)}
            # ValueError: not a resource the fake seeds, or it has that id already.
            with contextlib.suppress(ValueError):
                fake.seed(segments[index - 1], values[name], **fields)
        parents[name] = values[name]
