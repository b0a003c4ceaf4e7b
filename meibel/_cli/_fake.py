"""`--fake` for a generated command: every id it names exists in the fake.

What a command names is found from its path and body alone, with the fake's resources
(`FakeMeibel.seedable()`: each one's item path) and the fields each takes (`seed_fields()`):

- a path parameter whose path up to it is a resource's item path (`/datasources/{datasource_id}`,
  `/datasources/{datasource_id}/downloads/{job_id}`, `/datasources/uploads/{upload_id}`) names
  one of those, seeded with the id given, outermost first;
- a path parameter after a literal segment names a record by that field: of the collection
  before it (`/agents/name/{name}`: an agent whose `name` is the value), or, below an item, of
  that item (`/documents/deep-transform/{job_id}/artifact/{name}`: a job whose `artifacts` hold
  it);
- a GET below a collection by its query (`/batch-definitions/catalog-urn?catalog_urn=...`)
  names a record of that collection whose fields hold the query's values;
- a body field names a resource by its id parameter (`datasource_id`), by the resource and that
  parameter (`document_job_id`: a document's `job_id`) or by the resource alone
  (`artifact_schema`: one whose id is the value), and a list of them by the collection's name
  (`documents`). A value that is JSON text (a schema given inline) is no id.

Each is seeded with the ids it lives under or refers to that the command gives, else those the
fake holds already (`held`: the `--fake` datasource, for an upload). An id the fake has already,
or cannot seed, is left as it is: the fake then answers as the API would.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
from typing import TYPE_CHECKING, Any

from ._api import request_body
from ._operations import Operation

if TYPE_CHECKING:
    from ..testing import FakeMeibel

__all__ = ["seed_named_ids"]

_PARAMETER = re.compile(r"\{([^/]+?)\}")


class _Seed:
    """One record to seed: the resource (its item path), the id (None: the fake makes one), its
    fields, and the ids known when it was found."""

    def __init__(self, item: str, value: str | None, known: dict[str, str]) -> None:
        self.item = item
        self.value = value
        self.fields: dict[str, Any] = {}
        self.known = dict(known)


def _parameter(segment: str) -> str | None:
    found = _PARAMETER.fullmatch(segment)
    return found.group(1) if found else None


def _item_of(collection: str, items: list[str]) -> str | None:
    """The item path of `collection` (`/agents` -> `/agents/{agent_id}`, or `/x/id/{x_id}`)."""
    for item in items:
        base, _, last = item.rpartition("/")
        if _parameter(last) and base in (collection, f"{collection}/id"):
            return item
    return None


def _path_seeds(
    fake: FakeMeibel, template: str, values: dict[str, str], known: dict[str, str]
) -> list[_Seed]:
    items = list(fake.seedable().values())
    segments = template.split("/")
    seeds: list[_Seed] = []
    for index, segment in enumerate(segments):
        name = _parameter(segment)
        if name is None or name not in values:
            continue
        value = values[name]
        prefix = "/".join(segments[: index + 1])
        literal = segments[index - 1] if index > 1 and not _parameter(segments[index - 1]) else ""
        owner = "/".join(segments[: index - 1])
        below = next((seed for seed in seeds if seed.item == owner), None)
        if prefix in items:
            seeds.append(_Seed(prefix, value, known))
        elif literal and below is not None and literal in (fields := fake.seed_fields(owner)):
            below.fields[literal] = value  # a field of the item it is below...
            continue
        elif literal and below is not None and f"{literal}s" in fields:
            below.fields.setdefault(f"{literal}s", []).append(value)  # ...or an entry of one
            continue
        elif literal and (item := _item_of(owner, items)) and literal in fake.seed_fields(item):
            seeds.append(_Seed(item, None, known))  # a record of the collection, by that field
            seeds[-1].fields[literal] = value
            continue
        known[name] = value  # an id: the parent of what follows
    return seeds


def _named(field: str, name: str, item: str) -> bool:
    """Whether a body field of that name holds the id of a resource `name` at `item`."""
    from ..testing._resources import singular  # the fake's own rule: "policies" -> "policy"

    parameter = str(_PARAMETER.findall(item)[-1])
    noun = singular(name)
    return field in (parameter, f"{noun}_{parameter}", noun)


def _is_id(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return not isinstance(json.loads(value), dict | list)
    except ValueError:
        return True


def _body_seeds(fake: FakeMeibel, body: dict[str, Any], known: dict[str, str]) -> list[_Seed]:
    resources = fake.seedable()
    seeds = []
    for field, value in body.items():
        ids = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        if not ids or not all(_is_id(v) for v in ids):
            continue
        if isinstance(value, str):
            named = [item for name, item in resources.items() if _named(field, name, item)]
        else:
            named = [item for name, item in resources.items() if name.replace("-", "_") == field]
        if len(named) == 1:  # `job_id` alone could be a job of any kind: none is guessed
            seeds += [_Seed(named[0], v, known) for v in ids]
            if isinstance(value, str) and field == _PARAMETER.findall(named[0])[-1]:
                known[field] = value
    return seeds


def _lookup_seeds(
    fake: FakeMeibel, template: str, query: dict[str, str], known: dict[str, str]
) -> list[_Seed]:
    """A GET below a collection by its query (`/batch-definitions/catalog-urn?catalog_urn=...`):
    a record of that collection holding the values of the query's fields."""
    collection, _, last = template.rpartition("/")
    item = _item_of(collection, list(fake.seedable().values())) if collection else None
    if item is None or _parameter(last):
        return []
    fields = set(fake.seed_fields(item))
    named = {name: value for name, value in query.items() if name in fields}
    if not named:
        return []
    seed = _Seed(item, None, known)
    seed.fields.update(named)
    return [seed]


def seed_named_ids(
    fake: FakeMeibel, operation: Operation, args: argparse.Namespace, *, held: dict[str, str]
) -> None:
    """Seed every id the command names (see the module docstring); `held`: ids the fake has
    already, by parameter, for records that need one the command does not give."""
    from ..testing import FakeSchemaError

    values: dict[str, str] = {}
    query: dict[str, str] = {}
    for option in (operation.positional, *operation.options):
        if option is not None and option.where in ("path", "query"):
            value = getattr(args, option.dest, None)
            if isinstance(value, str):
                (values if option.where == "path" else query)[option.name] = value
    known = dict(held)
    seeds = _path_seeds(fake, operation.plan["path"], values, known)
    if operation.plan["http_method"] == "GET":
        seeds += _lookup_seeds(fake, operation.plan["path"], query, known)
    if operation.takes_data:
        seeds += _body_seeds(fake, request_body(operation, args), known)
    for seed in seeds:
        own = _PARAMETER.findall(seed.item)[-1]
        # ValueError: it is in the fake already (or the fake cannot seed it); FakeSchemaError:
        # the id is not one of this resource (a UUID). The fake answers for it as the API would.
        with contextlib.suppress(ValueError, FakeSchemaError):
            taken = set(fake.seed_fields(seed.item))
            fields = {k: v for k, v in seed.known.items() if k in taken and k != own}
            fake.seed(seed.item, seed.value, **{**fields, **seed.fields})
