"""Seeding: resources with chosen ids, kept exactly as if the API had made them.

`FakeMeibel.seed(resource, id, **fields)`. A resource is named by its collection in the spec's
paths ("datasources" for /datasources/{datasource_id}, "data-elements" for
/datasources/{datasource_id}/data-elements/{data_element_id}), by its item path, or by that
path's last parameter when no other resource has it. Its item path is one the spec can GET, or
one its other paths go below (/datasources/{datasource_id}/tables/{table_name} for .../columns,
/datasources/uploads/{upload_id} for .../progress). A record of it is what that GET answers,
else what the POST on its collection answers (a download job), else an item of what the GET of
its collection answers (a table), else what the operation named in RESOURCES answers (an
upload). Which operation that is, the schema a record must match, the field holding the id, the
parents it lives under and the fields naming other resources are all read from the spec; what
this module adds per resource is how the fake keeps it: the defaults a create would give, the
fields the fake computes itself, and where the record goes (_seeding_records.py, and
_seeding_jobs.py for the jobs).
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._answer import HTTPError
from ._generic import GenericHandlers
from ._resources import Collection, model
from ._schema import FakeSchemaError, Spec, spec
from ._seeding_jobs import JobSeeding
from ._seeding_records import RecordSeeding

__all__ = ["RESOURCES", "Resource", "Seeding"]

_PARAMETER = re.compile(r"\{([^/]+?)\}")
_ENDS = "the fake sets them when the job ends"


@dataclass(frozen=True)
class Resource:
    """A resource the fake can seed: `path` is its item path (see the module docstring)."""

    path: str
    prefix: str  # of the ids the fake makes for them ("ds" -> "ds_3")
    store: str  # the FakeState attribute keeping them (by id; a table by datasource, then name)
    derived: Mapping[str, str] = field(default_factory=dict)  # field -> what sets it
    extras: frozenset[str] = frozenset()  # keys beyond the schema that a seed takes
    job: str | None = None  # the kind of job it is (JOB_STATES)
    record_of: str | None = None  # the operation answering a record, if no path of it does

    @property
    def name(self) -> str:
        """The collection segment before the last path parameter: "datasources"."""
        return self.path.split("/")[-2]

    @property
    def parameter(self) -> str:
        """The last path parameter: the one naming a single resource."""
        return str(_PARAMETER.findall(self.path)[-1])

    @property
    def parents(self) -> tuple[str, ...]:
        """The path parameters naming what it lives under: ("datasource_id",)."""
        return tuple(_PARAMETER.findall(self.path)[:-1])

    @property
    def method(self) -> str:
        """The suffix of its `_seed_record_*` and `_seed_*` methods: "data_elements"."""
        return self.name.replace("-", "_")


RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource(
            "/agents/{agent_id}", "agent", "_agents",
            {"version": "createAgent makes 1, each updateAgent the next",
             "parent_version": "updateAgent sets it",
             "last_execution_time": "the agent's sessions set it",
             "last_execution_status": "the agent's sessions set it"},
        ),
        Resource(
            "/artifact-schemas/{artifact_id}", "artifact", "_artifact_schemas",
            {"version": "each updateArtifactSchema makes the next",
             "parent_version": "updateArtifactSchema sets it"},
        ),
        Resource(
            "/datasources/{datasource_id}", "ds", "_datasources",
            {"tables": "upload a CSV file, call updateTableDescriptions or seed('tables', ...)"},
        ),
        Resource(
            "/datasources/{datasource_id}/data-elements/{data_element_id}", "element",
            "_data_elements",
        ),
        Resource(
            "/datasources/{datasource_id}/tables/{table_name}", "table", "_tables",
        ),
        Resource(
            "/datasources/{datasource_id}/downloads/{job_id}", "download", "_jobs",
            {"status_url": "it is the job's progress stream"}, frozenset({"error"}),
            job="download",
        ),
        Resource(
            "/datasources/uploads/{upload_id}", "upload", "_jobs",
            {"sse_url": "it is the upload's progress stream"}, frozenset({"status", "error"}),
            job="upload", record_of="uploadContent",
        ),
        Resource(
            "/documents/{job_id}", "job", "_parse_jobs",
            {"format": "it is the file's extension: pass file=(name, data)",
             **dict.fromkeys(("pages", "elements", "tables", "processing_time_ms", "confidence"),
                             "the parse sets it when the job completes")},
            frozenset({"file"}), job="document",
        ),
        Resource(
            "/documents/deep-transform/{job_id}", "dt", "_jobs", {"metrics": _ENDS},
            job="deep_transform",
        ),
        Resource("/confidence-scoring/job/{job_id}", "score", "_jobs", job="scoring"),
        Resource("/metadata-model-catalog/{model_id}", "model", "_catalog"),
        Resource(
            "/sessions/{session_id}", "session", "_sessions",
            {"agent_name": "it is the agent's", "version": "it is the agent's latest version",
             **dict.fromkeys(("tool_activity", "token_usage", "file_parsing", "result"),
                             "chats through the API record it")},
            frozenset({"created_at"}),
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class _Shape:
    """What the spec says of a resource: the operation answering one, the schema of its
    records, its id field."""

    operation_id: str
    ref: str
    title: str
    properties: frozenset[str]
    id_field: str


def _shape(kind: Resource) -> _Shape:
    return _shape_in(spec(), kind.path, kind.record_of)


@functools.cache
def _shape_in(the_spec: Spec, path: str, record_of: str | None) -> _Shape:
    the_model = model(the_spec)
    collection = path.rsplit("/", 1)[0]
    # (operation, whether its answer lists them), in the order of the module docstring.
    candidates: list[tuple[str, bool]] = [(record_of, False)] if record_of else []
    for template, method, listed in ((path, "GET", False), (collection, "POST", False),
                                     (collection, "GET", True)):  # fmt: skip
        candidates += [
            (r.operation_id, listed)
            for r in the_spec.routes
            if (r.template, r.method) == (template, method)
        ]
    for operation_id, listed in candidates:
        _, media, pointer = the_model.answer(operation_id)
        if media != "application/json" or pointer is None:
            continue
        if listed:
            pointer = the_model.synth.array_items(pointer)
        ref, schema = the_model.synth.object_schema(pointer) if pointer else ("", None)
        if schema is not None:
            break
    else:
        raise ValueError(f"seed(): the spec answers no record of {path}")
    properties = frozenset(schema.get("properties", {}))
    id_field = _PARAMETER.findall(path)[-1]
    if id_field not in properties and "id" in properties:
        id_field = "id"
    title = str(schema.get("title", operation_id))
    return _Shape(operation_id, ref, title, properties, id_field)


def _resource(name: str) -> Resource:
    resource = RESOURCES.get(name.replace("_", "-"))
    if resource is not None:
        return resource
    found = [r for r in RESOURCES.values() if name in (r.path, r.parameter)]
    if len(found) > 1:
        names = " or ".join(repr(r.name) for r in found)
        raise ValueError(f"seed(): {name!r} names {len(found)} resources: pass {names}")
    if not found:
        close = difflib.get_close_matches(name, list(RESOURCES), n=2)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise ValueError(
            f"seed(): no resource {name!r}{hint}; the fake seeds {', '.join(RESOURCES)}"
        )
    return found[0]


def _handwritten(name: str) -> bool:
    """Whether `name` is a resource a hand-written seed makes (see RESOURCES)."""
    return name.replace("_", "-") in RESOURCES or any(
        name in (r.path, r.parameter) for r in RESOURCES.values()
    )


def _check_id(name: str, chosen: object, taken: str | None) -> None:
    """A seed's id must be a new str that a URL can carry (`taken`: what holds it already)."""
    if not isinstance(chosen, str):
        raise TypeError(f"seed({name!r}): the id must be a str, not {chosen!r}")
    problem = None
    if not chosen.strip():
        problem = "an id needs a character other than spaces (the client refuses it)"
    elif "/" in chosen:
        problem = (
            "an id cannot hold '/': the API routes the decoded path, so no request would reach it"
        )
    elif taken is not None:
        problem = taken
    if problem:
        raise ValueError(f"seed({name!r}, {chosen!r}): {problem}")


class Seeding(JobSeeding, RecordSeeding, GenericHandlers):
    """`seed()`, and how each resource is made and kept (`_seed_<resource>` methods)."""

    def seed(self, resource: str, id: str | None = None, /, **fields: Any) -> dict[str, Any]:
        """Put a `resource` with the chosen `id` in the fake, as if the API had made it:
        "agents", "artifact-schemas", "datasources", "data-elements", "tables", "downloads",
        "uploads", "documents", "deep-transform", "job" (a scoring job),
        "metadata-model-catalog", "sessions", or any collection the fake answers generically
        ("batch-definitions"), named by its collection, its item path or the parameter of that
        path.

        `fields` are the resource's, as its GET answers them (the id may be given there too);
        what is left out gets the defaults a create would give, and a job is done unless
        `status=` says otherwise. The record is checked against the spec's schema for that
        answer (FakeSchemaError naming the field), and ids it names must exist (a session's
        agent_id, an upload's datasource_id; a nested resource's parent, passed by its
        parameter: datasource_id=...). Returns the record.
        """
        with self._using():
            if _handwritten(resource):
                kind = _resource(resource)
                if self._kept_by_handlers(kind):
                    return self._seed_handwritten(kind, id, fields)
            return self._seed_generic(self._collection(resource, "seed"), id, fields)

    def seedable(self) -> dict[str, str]:
        """Every resource `seed()` takes, by name: its item path (see `seed()`)."""
        with self._using():
            mine = {r.name: r.path for r in RESOURCES.values() if self._kept_by_handlers(r)}
        return {**mine, **super().seedable()}

    def seed_fields(self, resource: str) -> list[str]:
        """The keywords `seed(resource, ...)` takes (sorted): the fields of its record but those
        the fake sets, the parameters of the parents it lives under, and its extras (a
        document's `file`, an upload's `status`)."""
        with self._using():
            if _handwritten(resource):
                kind = _resource(resource)
                if self._kept_by_handlers(kind):
                    shape = _shape(kind)
                    taken = (shape.properties - kind.derived.keys()) | kind.extras
                    return sorted(taken | set(kind.parents))
            collection = self._collection(resource, "seed_fields")
            synth = self._model().synth
            properties = synth.properties(collection.record) if collection.record else {}
            return sorted({*properties, *collection.parents})

    def _kept_by_handlers(self, kind: Resource) -> bool:
        """Whether handlers keep `kind` in this fake's spec (not the generic answerer): they
        answer the GET of its item path, or the operations below it."""
        collection = self._model().items.get(kind.path)
        if collection is not None:
            return not self._generic_collection(collection)
        below = [r for r in spec().routes if r.template.startswith(kind.path + "/")]
        return any(self._handled(r.operation_id) for r in below)

    def _holds(self, kind: Resource, value: str) -> bool:
        """Whether the fake has a `kind` of id `value` (a top-level one: no parents)."""
        if kind.job is not None:
            job = self._jobs.get(value)
            return job is not None and job.kind == kind.job
        return value in getattr(self, kind.store)

    def _taken(self, kind: Resource, value: str, parents: dict[str, str]) -> str | None:
        """What already has the id `value` among the resources of `kind`, if anything."""
        if kind.job is not None:
            job = self._jobs.get(value)
            if job is None:
                return None
            other = job.kind.replace("_", "-")
            if job.kind == kind.job:
                return f"it is already in the fake (a {other} job)"
            return f"a {other} job has that id already (jobs of every kind share their ids)"
        if kind.store == "_tables":
            datasource = parents.get("datasource_id", "")
            if value not in self._tables.get(datasource, {}):
                return None
            return f"datasource {datasource!r} has that table already"
        if value in getattr(self, kind.store):
            return "it is already in the fake (delete it through the API first)"
        return None

    def _known_elsewhere(self, collection: Collection, value: str) -> bool:
        kind = next((r for r in RESOURCES.values() if r.path == collection.item), None)
        return kind is None or self._holds(kind, value)

    def _seed_generic(
        self, collection: Collection, id: str | None, fields: dict[str, Any]
    ) -> dict[str, Any]:
        synth = self._model().synth
        properties = synth.properties(collection.record) if collection.record else {}
        name = collection.name
        with self._lock:
            in_fields = fields.pop(str(collection.id_field), None)
            if id is not None and in_fields is not None and id != in_fields:
                raise ValueError(
                    f"seed({name!r}): two ids, {id!r} and {collection.id_field}={in_fields!r}"
                )
            given = id if id is not None else in_fields
            chosen = self._new_id(collection) if given is None else given
            taken = chosen in self._records.get(collection.path, {})
            _check_id(name, chosen, "it is already in the fake" if taken else None)
            where = f"seed({name!r}, {chosen!r})"
            parents = {}
            for parent in collection.parents:
                value = fields.get(parent) if parent in properties else fields.pop(parent, None)
                if not isinstance(value, str):
                    raise ValueError(f"{where}: {name} live under a parent: pass {parent}=...")
                parents[parent] = value
            schema = synth.object_schema(collection.record)[1] if collection.record else None
            title = str((schema or {}).get("title", name))
            for field_name in fields:
                if field_name not in properties:
                    close = difflib.get_close_matches(field_name, sorted(properties), n=2)
                    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                    raise FakeSchemaError(f"{where}: {title} has no field {field_name!r}{hint}")
            for ancestor in self._model().ancestors(collection):
                try:
                    self._require(ancestor, parents)
                except HTTPError as error:
                    raise ValueError(f"{where}: {error.detail}: seed it first") from None
            record = {**self._new_record(collection, chosen, parents, fields), **fields}
            if collection.record is not None:
                spec().check(collection.record, record, f"{where}: {title}")
            self._keep(collection, chosen, parents, record)
            return copy.deepcopy(record)

    def _seed_handwritten(
        self, kind: Resource, id: str | None, fields: dict[str, Any]
    ) -> dict[str, Any]:
        shape = _shape(kind)
        with self._lock:
            # A parent the record has no field for is passed by its parameter.
            parents = {
                name: fields.pop(name) if name not in shape.properties else fields[name]
                for name in kind.parents
                if name in fields
            }
            chosen = self._chosen_id(kind, shape, id, fields, parents)
            where = f"seed({kind.name!r}, {chosen!r})"
            for name in kind.parents:
                if name not in shape.properties and not isinstance(parents.get(name), str):
                    raise ValueError(f"{where}: {kind.name} live under a parent: pass {name}=...")
            for name in fields:
                if name in kind.derived:
                    raise ValueError(f"{where}: {name} is the fake's to set: {kind.derived[name]}")
                if name not in shape.properties and name not in kind.extras:
                    close = difflib.get_close_matches(name, sorted(shape.properties), n=2)
                    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                    raise FakeSchemaError(f"{where}: {shape.title} has no field {name!r}{hint}")
            given = dict(fields)
            make = getattr(self, f"_seed_record_{kind.method}")
            record: dict[str, Any] = make(chosen, given, parents)
            spec().check(shape.ref, record, f"{where}: {shape.title}")
            self._check_references(kind, shape, {**record, **parents}, where)
            getattr(self, f"_seed_{kind.method}")(record, given, parents, where)
            return copy.deepcopy(record)

    def _chosen_id(
        self,
        kind: Resource,
        shape: _Shape,
        given: str | None,
        fields: dict[str, Any],
        parents: dict[str, str],
    ) -> str:
        in_fields = fields.pop(shape.id_field, None)
        if given is not None and in_fields is not None and given != in_fields:
            raise ValueError(
                f"seed({kind.name!r}): two ids, {given!r} and {shape.id_field}={in_fields!r}"
            )
        chosen = given if given is not None else in_fields
        if chosen is None:
            return self._id(kind.prefix)
        _check_id(kind.name, chosen, self._taken(kind, chosen, parents))
        return str(chosen)

    def _check_references(
        self, kind: Resource, shape: _Shape, record: dict[str, Any], where: str
    ) -> None:
        """Every resource the record (or a parent) names by id (`agent_id`, `datasource_id`)
        exists: one of those having that parameter, when several have it (`job_id`)."""
        named: dict[str, list[Resource]] = {}
        for other in RESOURCES.values():
            if other is not kind and not other.parents and other.parameter != shape.id_field:
                named.setdefault(other.parameter, []).append(other)
        for parameter, others in named.items():
            value = record.get(parameter)
            if value is not None and not any(self._holds(other, value) for other in others):
                name = others[0].name
                raise ValueError(
                    f"{where}: {parameter} {value!r} is not in the fake: seed({name!r}, "
                    f"{value!r}) or create it through the API first"
                )
