"""The generic answerer: every operation without a hand-written `_op_<operationId>` handler.

It keeps records of the collections the spec's paths describe (meibel/testing/_resources.py):
a create makes one with a fresh id, an item path reads, replaces, merges or removes it, a GET
on the collection lists them a page at a time as the answer's schema says, an action or a
stream answers for an item that exists, and a parent must exist for what lives under it.
Answers are made from the response schemas (meibel/testing/_synth.py), keeping a record's
fields where the schema has them; FakeMeibel checks each against the spec as for any answer.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

from ._answer import SSE_HEADERS, Answer, HTTPError, sse
from ._resources import Collection, Model, model, singular
from ._routing import integer
from ._schema import child, spec
from ._state import FakeState, StateView

__all__ = ["GenericHandlers"]

_LIMITS = ("limit", "page_size", "per_page", "max_items", "max_results", "size")
_PAGING = {"cursor", "continuation_token", "offset", *_LIMITS, "sort_by", "sort_order"}
_LAST_EVENTS = ("complete", "done", "end", "finish", "result", "close")


class GenericHandlers(FakeState):
    """Answers the operations FakeMeibel has no handler for, from the spec alone."""

    def generic_operations(self) -> list[str]:
        """The spec's operationIds this fake answers generically, from the spec alone (sorted):
        those it has no hand-written handler for."""
        with self._using():
            return sorted(op for op in spec().operations if not self._handled(op))

    def records(self, resource: str) -> Mapping[str, dict[str, Any]]:
        """The records of a resource answered generically, by id (read-only; copies): the
        collection's name ("batch-definitions"), its path or its item path."""
        with self._using():
            collection = self._collection(resource, "records")
            data = self._records.setdefault(collection.path, {})
            return StateView(f"records({collection.name!r})", data, self._lock, collection.name)

    # ----- what is whose ------------------------------------------------------------------

    def _handled(self, operation_id: str) -> bool:
        return getattr(self, f"_op_{operation_id}", None) is not None

    def _generic_collection(self, collection: Collection) -> bool:
        """Whether the fake keeps this collection's records itself (no handler reads them)."""
        routes = spec().routes
        reads = [r for r in routes if r.template == collection.item and r.method == "GET"]
        reads = reads or [r for r in routes if r.template == collection.path]
        return not any(self._handled(r.operation_id) for r in reads)

    def _by_handlers(self, item: str) -> bool:
        """Whether handlers keep the resource whose item path is `item` (not this answerer)."""
        collection = self._model().items.get(item)
        return collection is not None and not self._generic_collection(collection)

    def _known_elsewhere(self, collection: Collection, value: str) -> bool:
        """Whether a handler-kept resource has the id `value` (True when the fake cannot tell)."""
        return True

    def _collection(self, name: str, what: str) -> Collection:
        """A generic collection by its name (hyphens or underscores), path, item path or the
        parameter of its item path."""
        found = self._model().collections.values()
        generic = [c for c in found if self._generic_collection(c)]
        wanted = name.replace("_", "-")
        matches = [
            c
            for c in generic
            if name in (c.path, c.item, c.parameter) or wanted == c.name.replace("_", "-")
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            paths = ", ".join(repr(c.item or c.path) for c in matches)
            raise ValueError(
                f"{what}(): {name!r} names {len(matches)} resources: pass one of {paths}"
            )
        names = list(self.seedable())
        close = difflib.get_close_matches(wanted, names, n=2)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise ValueError(f"{what}(): no resource {name!r}{hint}; the fake seeds {', '.join(names)}")

    def seedable(self) -> dict[str, str]:
        """Every resource `seed()` takes, by name: the path whose GET answers one."""
        with self._using():
            return {
                c.name: c.item
                for c in self._model().collections.values()
                if c.item is not None and self._generic_collection(c)
            }

    @staticmethod
    def _model() -> Model:
        return model(spec())

    # ----- answering ----------------------------------------------------------------------

    def _generic(
        self, operation_id: str, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Answer:
        """Answer `operation_id`, which has no handler, from the spec."""
        the_model = self._model()
        operation = the_model.operations[operation_id]
        sent = body if isinstance(body, dict) else {}
        for ancestor in operation.ancestors:
            self._require(ancestor, params)
        collection, kind = operation.collection, operation.kind
        if collection is None or not self._generic_collection(collection):
            known = {**sent, **params}
            if collection is not None and kind in ("read", "replace", "merge", "remove"):
                self._require(collection, params)
            if collection is not None and collection.parameter in params and collection.id_field:
                known[collection.id_field] = params[collection.parameter]
            return self._respond(operation_id, known)
        parents = {name: params[name] for name in collection.parents}
        if kind == "create":
            return self._create(operation_id, collection, parents, sent)
        if kind == "list":
            rows = [
                (key, record) for key, owner, record in self._rows(collection) if owner == parents
            ]
            return self._list(operation_id, collection, rows, query)
        if kind == "query":
            return self._query(operation_id, collection, params, query)
        if kind not in ("read", "replace", "merge", "remove", "action"):
            return self._respond(operation_id, {**sent, **params})
        record_id = params[str(collection.parameter)]
        record = self._require(collection, params)
        if kind in ("replace", "merge"):
            record = self._update(collection, record_id, record, sent, merge=kind == "merge")
        elif kind == "remove":
            self._remove(collection, record_id)
        known = self._known(collection, record_id, record)
        if kind == "action":
            # A GET below an item that answers a list (its versions...) lists the item.
            if spec().route(operation_id).method == "GET":
                known = {**sent, **params, **known}
                return self._respond(operation_id, known, collection, [(record_id, record)], query)
            record = self._act(operation_id, collection, record_id, record)
            known = {**sent, **params, **self._known(collection, record_id, record)}
            known |= self._started(operation_id, collection, record_id, record, sent)
            return self._respond(operation_id, known, collection)
        return self._respond(operation_id, known, collection)

    def _act(
        self, operation_id: str, collection: Collection, record_id: str, record: dict[str, Any]
    ) -> dict[str, Any]:
        """A POST action named like a value of the record's `status` enum sets it: `/cancel`
        makes it "cancelled", `/pause` "paused" (the first such value in the spec)."""
        if collection.record is None or "status" not in record:
            return record
        word = spec().route(operation_id).template.rsplit("/", 1)[-1].split("-")[0].lower()
        stem = word[:-1] if word.endswith("e") else word
        where = self._model().synth.properties(collection.record).get("status")
        values = self._model().synth.enum(where) if where else []
        match = next((v for v in values if isinstance(v, str) and len(stem) >= 4
                      and v.lower().startswith(stem)), None)  # fmt: skip
        if match is None:
            return record
        return self._update(collection, record_id, record, {"status": match}, merge=True)

    def _started(
        self,
        operation_id: str,
        collection: Collection,
        record_id: str,
        record: dict[str, Any],
        sent: dict[str, Any],
    ) -> dict[str, str]:
        """A POST action whose answer names the id of another top-level resource that refers
        back to this one (`execute` answering an `execution_id`, an execution having a
        `definition_id`) starts one of those: it can then be read, listed, cancelled."""
        synth = self._model().synth
        _, media, pointer = self._model().answer(operation_id)
        if media != "application/json" or pointer is None:
            return {}
        fields = synth.properties(pointer)
        for other in self._model().collections.values():
            name = other.parameter
            if (
                other is not collection
                and name in fields
                and name not in record
                and not other.parents
                and other.item is not None
                and other.record is not None
                and collection.parameter in synth.properties(other.record)
                and self._generic_collection(other)
            ):
                new_id = self._new_id(other)
                origin = {**sent, str(collection.parameter): record_id}
                self._keep(other, new_id, {}, self._new_record(other, new_id, {}, origin))
                return {str(name): new_id}
        return {}

    def _new_id(self, collection: Collection) -> str:
        """A fresh id for a record: a UUID when the record's id field is one."""
        synth = self._model().synth
        fields = synth.properties(collection.record) if collection.record else {}
        where = fields.get(str(collection.id_field))
        schema = synth.resolve(where)[1] if where else None
        uuid = isinstance(schema, dict) and schema.get("format") == "uuid"
        return self._id(collection.prefix, uuid=uuid)

    def _require(self, collection: Collection, params: dict[str, str]) -> dict[str, Any]:
        """The record `params` name in `collection` (with its parents); 404 when there is none."""
        value = params.get(str(collection.parameter))
        if value is None:
            return {}
        if not self._generic_collection(collection):
            if not self._known_elsewhere(collection, value):
                raise HTTPError(404, f"{_title(collection)} {value} not found")
            return {}
        parents = {name: params[name] for name in collection.parents if name in params}
        found = self._records.get(collection.path, {}).get(value)
        owner = self._owners.get(collection.path, {}).get(value, {})
        if found is None or any(owner.get(k) != v for k, v in parents.items()):
            raise HTTPError(404, f"{_title(collection)} {value} not found")
        return found

    def _rows(self, collection: Collection) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        """Every record of `collection`: its id, its parents' ids, the record."""
        owners = self._owners.get(collection.path, {})
        records = self._records.get(collection.path, {})
        return [(key, owners[key], record) for key, record in records.items()]

    def _keep(
        self, collection: Collection, key: str, parents: dict[str, str], record: dict[str, Any]
    ) -> None:
        self._records.setdefault(collection.path, {})[key] = record
        self._owners.setdefault(collection.path, {})[key] = parents

    @staticmethod
    def _known(collection: Collection, record_id: str, record: dict[str, Any]) -> dict[str, Any]:
        known = dict(record)
        # Whatever an answer's schema calls the id: the record's field, the path's, or "id".
        names = (collection.id_field, collection.parameter, "id", f"{collection.prefix}_id")
        for name in names:
            if name is not None:
                known.setdefault(name, record_id)
        return known

    def _create(
        self,
        operation_id: str,
        collection: Collection,
        parents: dict[str, str],
        sent: dict[str, Any],
    ) -> Answer:
        record_id = self._new_id(collection)
        record = self._new_record(collection, record_id, parents, sent)
        self._keep(collection, record_id, parents, record)
        known = {**parents, **self._known(collection, record_id, record)}
        return self._respond(operation_id, known, collection)

    def _new_record(
        self, collection: Collection, record_id: str, parents: dict[str, str], sent: dict[str, Any]
    ) -> dict[str, Any]:
        known = {**sent, **parents}
        if collection.id_field is not None:
            known[collection.id_field] = record_id
        if collection.record is None:
            return copy.deepcopy(known)
        record = self._model().synth.fill(collection.record, known)
        return record if isinstance(record, dict) else copy.deepcopy(known)

    def _update(
        self,
        collection: Collection,
        record_id: str,
        record: dict[str, Any],
        sent: dict[str, Any],
        *,
        merge: bool,
    ) -> dict[str, Any]:
        """PUT: the fields sent replace the record's; PATCH (or POST) merges them in (objects
        field by field, null removes a field)."""
        changed = _merged(record, sent) if merge else {**record, **sent}
        owner = self._owners[collection.path][record_id]
        updated = self._new_record(collection, record_id, owner, changed)
        self._keep(collection, record_id, owner, updated)
        return updated

    def _remove(self, collection: Collection, record_id: str) -> None:
        """Remove a record, and the records living under it."""
        del self._records[collection.path][record_id]
        del self._owners[collection.path][record_id]
        for other in self._model().collections.values():
            if collection.parameter in other.parents:
                for key, owner, _ in self._rows(other):
                    if owner.get(str(collection.parameter)) == record_id:
                        self._remove(other, key)

    def _query(
        self,
        operation_id: str,
        collection: Collection,
        params: dict[str, str],
        query: dict[str, str],
    ) -> Answer:
        """A GET below a collection: the record its query names when it answers one (404 if
        none matches), else an answer made from the spec."""
        _, _, pointer = self._model().answer(operation_id)
        synth = self._model().synth
        if (
            pointer is None
            or collection.record is None
            or not synth.same(pointer, collection.record)
        ):
            return self._respond(operation_id, {**query, **params})
        wanted = {k: v for k, v in query.items() if k not in _PAGING}
        for record_id, _, record in self._rows(collection):
            if all(k in record and _text(record[k]) == v for k, v in wanted.items()):
                return self._respond(operation_id, self._known(collection, record_id, record))
        shown = ", ".join(f"{k}={v}" for k, v in wanted.items())
        raise HTTPError(404, f"{_title(collection)} with {shown} not found")

    def _list(
        self,
        operation_id: str,
        collection: Collection,
        rows: list[tuple[str, dict[str, Any]]],
        query: dict[str, str],
    ) -> Answer:
        """The records of one parent, filtered by the query's fields, a page at a time."""
        filters = {k: v for k, v in query.items() if k not in _PAGING}
        rows = [
            (key, record)
            for key, record in rows
            if all(k not in record or _text(record[k]) == v for k, v in filters.items())
        ]
        return self._respond(operation_id, dict(query), collection, rows, query)

    def _respond(
        self,
        operation_id: str,
        known: dict[str, Any],
        collection: Collection | None = None,
        rows: list[tuple[str, dict[str, Any]]] | None = None,
        query: dict[str, str] | None = None,
    ) -> Answer:
        """The operation's success answer made from its schema, keeping `known` fields; a list
        answer lists `rows` (a page of them when `query` is the list's)."""
        the_model = self._model()
        status, media, pointer = the_model.answer(operation_id)
        if media == "text/event-stream":
            return Answer(
                status, events=self._events(operation_id, pointer, known), headers=SSE_HEADERS
            )
        if media is None or pointer is None:
            return Answer(status)
        if media != "application/json":
            return Answer(status, headers={"Content-Type": media}, content=b"")
        if rows is not None and collection is not None:
            listed = self._listing(operation_id, pointer, collection, rows, query, known)
            if listed is not None:
                return Answer(status, listed)
        return Answer(status, the_model.synth.fill(pointer, known))

    def _listing(
        self,
        operation_id: str,
        pointer: str,
        collection: Collection,
        rows: list[tuple[str, dict[str, Any]]],
        query: dict[str, str] | None,
        known: dict[str, Any],
    ) -> Any:
        """A list answer of `rows`, paginated as the schema says; None if it lists nothing."""
        synth = self._model().synth
        items = synth.array_items(pointer)
        if items is not None:  # the answer is the list itself
            return [synth.fill(items, self._known(collection, k, r)) for k, r in rows]
        field = next(
            (
                (name, found)
                for name, where in synth.properties(pointer).items()
                if (found := synth.array_items(where)) is not None
                and synth.object_schema(found)[1] is not None
            ),
            None,
        )
        if field is None:
            return None
        name, items = field
        page: list[tuple[str, dict[str, Any]]] = rows
        extra: dict[str, Any] = {}
        if query is not None:
            page, extra = _page(operation_id, synth.properties(pointer), rows, query)
        listed = [synth.fill(items, self._known(collection, k, r)) for k, r in page]
        return synth.fill(pointer, {**known, **extra, name: listed})

    def _events(
        self, operation_id: str, pointer: str | None, known: dict[str, Any]
    ) -> list[bytes | float]:
        """A stream's events, each valid for its schema: every event the spec names but its
        errors, those ending a stream last (one event made from the schema when it names none)."""
        synth = self._model().synth
        mapping = spec().event_schemas(operation_id)
        if not mapping:
            data = synth.fill(pointer, known) if pointer is not None else {}
            spec().check_event(operation_id, "message", data)
            return [sse("message", data)]
        names = [n for n in mapping if "error" not in n and "fail" not in n] or list(mapping)
        names.sort(key=lambda n: any(word in n for word in _LAST_EVENTS))
        chunks: list[bytes | float] = []
        for name in names:
            at, schema = synth.object_schema(mapping[name])
            has_data = schema is not None and "data" in schema.get("properties", {})
            data = (
                synth.fill(child(at, "properties", "data"), known)
                if has_data
                else synth.fill(at, known)
            )
            spec().check_event(operation_id, name, data)
            chunks.append(sse(name, data))
        return chunks


def _page(
    operation_id: str,
    fields: Mapping[str, str],
    rows: list[tuple[str, dict[str, Any]]],
    query: dict[str, str],
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """A page of `rows` and the answer's paging fields, the way the operation pages: a
    `cursor` (next_cursor), a `continuation_token`, or an `offset` (total, next_offset)."""
    parameters = {
        p["name"]: p.get("schema", {})
        for p in spec().operations[operation_id].get("parameters", [])
        if p.get("in") == "query"
    }
    size = next((n for n in _LIMITS if n in parameters), None)
    limit = len(rows)
    if size is not None:
        default = parameters[size].get("default")
        limit = max(1, integer(query, size, default if isinstance(default, int) else 20))
    token = next((n for n in ("cursor", "continuation_token") if n in parameters), None)
    start = 0
    if token is not None and query.get(token):
        start = integer(query, token, 0)
    elif "offset" in parameters:
        start = max(0, integer(query, "offset", 0))
    end = start + limit
    more = end < len(rows)
    after = str(end) if more else None
    extra: dict[str, Any] = {"total": len(rows), "offset": start, "limit": limit}
    extra |= {"has_more": more, "has_next": more, "next_offset": end if more else None}
    extra |= {"next_cursor": after, "continuation_token": after, "next_token": after}
    return rows[start:end], extra


def _merged(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(record)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _text(value: object) -> str:
    """A record's value as a query string spells it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _title(collection: Collection) -> str:
    return singular(collection.name).replace("_", " ").capitalize()
