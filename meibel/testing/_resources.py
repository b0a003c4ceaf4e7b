"""The resources the spec's paths describe, and what each operation does to them.

A path ending in a parameter is the item path of a collection: `/x/{x_id}` of `/x`, and
`/x/id/{x_id}` (a literal `id` segment before it) of `/x` too; the collection's own parameters
name its parents (`/datasources/{datasource_id}/tags` lives under a datasource). An operation
is then one of: "list" (GET on a collection), "create" (POST on it), "read", "replace",
"merge", "remove" (GET, PUT, PATCH/POST, DELETE on an item), "action" (below an item path:
`/x/{x_id}/execute`), "query" (GET below a collection with no parameter of its own:
`/x/by-name?name=...`), or "other". Everything here is read from the spec.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ._schema import Spec
from ._synth import Synth

__all__ = ["Collection", "Model", "Operation", "model"]

_PARAMETER = re.compile(r"\{([^/]+?)\}")
_ITEM_METHODS = {"GET": "read", "PUT": "replace", "PATCH": "merge", "POST": "merge"}
_ITEM_METHODS["DELETE"] = "remove"


def singular(word: str) -> str:
    """ "batch-definitions" -> "batch_definition"; "policies" -> "policy"."""
    word = word.replace("-", "_")
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Collection:
    """A collection path and, when the spec has one, the path of one of its items."""

    path: str  # "/datasources/{datasource_id}/tags"
    item: str | None  # "/datasources/{datasource_id}/tags/{tag_id}"
    parameter: str | None  # "tag_id"
    record: str | None  # the pointer to the schema of one record (what its GET answers)
    id_field: str | None  # the record's field holding the id (when the schema has one)

    @property
    def name(self) -> str:
        """The last segment of the collection path: "tags"."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def parents(self) -> tuple[str, ...]:
        """The path parameters naming the parents: ("datasource_id",)."""
        return tuple(_PARAMETER.findall(self.path))

    @property
    def prefix(self) -> str:
        """Of the ids the fake makes: "tag" -> "tag_3"."""
        return singular(self.name) or "item"


@dataclass(frozen=True)
class Operation:
    """What one operation does: its kind, its collection, and the items it is below."""

    kind: str
    collection: Collection | None
    ancestors: tuple[Collection, ...]  # collections whose item path the path goes through


class Model:
    """The collections of a spec and the kind of each of its operations."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.synth = Synth(spec)
        paths = {route.template for route in spec.routes}
        collections: dict[str, Collection] = {}
        for template in sorted(paths, key=lambda p: (p.count("/"), p)):
            found = re.fullmatch(r"(.*?)(/id)?/\{([^/]+?)\}", template)
            if found is None or not found.group(1) or found.group(1) in collections:
                continue
            base, parameter = found.group(1), found.group(3)
            record = self._record(template, base)
            collections[base] = Collection(
                base, template, parameter, record, self._id_field(record, parameter, base)
            )
        for template in sorted(paths):
            # A path taking a POST with no item path below it and no collection above it:
            # a collection whose records can be listed but not read one by one.
            methods = {r.method for r in spec.routes if r.template == template}
            if (
                "POST" in methods
                and not template.endswith("}")
                and template not in collections
                and self._enclosing(template, collections) is None
                and not self._below_item(template, collections)
            ):
                record = self._record(None, template)
                collections[template] = Collection(
                    template, None, None, record, self._id_field(record, None, template)
                )
        self.collections = collections
        self.items = {c.item: c for c in collections.values() if c.item is not None}
        self.operations = {
            route.operation_id: self._classify(route.method, route.template)
            for route in spec.routes
        }

    # ----- building -----------------------------------------------------------------------

    def answer(self, operation_id: str) -> tuple[int, str | None, str | None]:
        """The operation's success status, its media type and the pointer to its schema."""
        responses = self.spec.operations[operation_id]["responses"]
        codes = sorted(c for c in responses if c.isdigit() and c.startswith("2"))
        if not codes:
            return 200, None, None
        content = responses[codes[0]].get("content") or {}
        if not content:
            return int(codes[0]), None, None
        media = "application/json" if "application/json" in content else next(iter(content))
        schema = content[media].get("schema")
        pointer = None
        if schema is not None:
            pointer = self.spec.pointer(operation_id, "responses", codes[0], "content", media)
            pointer += "/schema"
        return int(codes[0]), media, pointer

    def _record(self, item: str | None, base: str) -> str | None:
        """The pointer to a record's schema: the item GET's answer, else the create's."""
        for template, method in ((item, "GET"), (base, "POST")):
            route = next(
                (r for r in self.spec.routes if r.template == template and r.method == method),
                None,
            )
            if route is not None:
                _, media, pointer = self.answer(route.operation_id)
                if media == "application/json" and pointer is not None:
                    return pointer
        return None

    def _id_field(self, record: str | None, parameter: str | None, base: str) -> str | None:
        if record is None:
            return None
        names = self.synth.properties(record)
        name = base.rstrip("/").rsplit("/", 1)[-1]
        candidates = (parameter, "id", f"{singular(name)}_id")
        return next((c for c in candidates if c is not None and c in names), None)

    def id_field(self, pointer: str | None, collection: Collection) -> str | None:
        """The field of the schema at `pointer` that holds a record's id, if it has one."""
        if pointer is None:
            return None
        names = self.synth.properties(pointer)
        candidates = [collection.id_field, collection.parameter, "id", f"{collection.prefix}_id"]
        return next((c for c in candidates if c is not None and c in names), None)

    def ancestors(self, collection: Collection) -> list[Collection]:
        """The collections whose items `collection` lives under, outermost first."""
        found = [
            c
            for c in self.collections.values()
            if c.item is not None and collection.path.startswith(c.item + "/")
        ]
        return sorted(found, key=lambda c: len(c.item or ""))

    @staticmethod
    def _enclosing(template: str, collections: dict[str, Collection]) -> Collection | None:
        """The collection whose path `template` is directly below (no parameter after it)."""
        best = None
        for collection in collections.values():
            if template == collection.path or template.startswith(collection.path + "/"):
                rest = template[len(collection.path) :]
                if "{" not in rest and (best is None or len(collection.path) > len(best.path)):
                    best = collection
        return best

    @staticmethod
    def _below_item(template: str, collections: dict[str, Collection]) -> bool:
        return any(
            c.item is not None and template.startswith(c.item + "/") for c in collections.values()
        )

    def _classify(self, method: str, template: str) -> Operation:
        ancestors = tuple(
            sorted(
                (
                    c
                    for c in self.collections.values()
                    if c.item is not None
                    and (template == c.item or template.startswith(c.item + "/"))
                ),
                key=lambda c: len(c.item or ""),
            )
        )
        collection = self.items.get(template)
        if collection is not None:
            return Operation(_ITEM_METHODS.get(method, "other"), collection, ancestors[:-1])
        collection = self.collections.get(template)
        if collection is not None:
            kind = {"GET": "list", "POST": "create"}.get(method, "other")
            return Operation(kind, collection, ancestors)
        if ancestors:
            return Operation("action", ancestors[-1], ancestors)
        enclosing = self._enclosing(template, self.collections)
        if enclosing is not None and method == "GET":
            return Operation("query", enclosing, ())
        return Operation("other", None, ())


@functools.cache
def model(spec: Spec) -> Model:
    """The model of `spec` (made once per spec)."""
    return Model(spec)
