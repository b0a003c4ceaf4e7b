"""Seeding: resources with chosen ids, kept exactly as if the API had made them.

`FakeMeibel.seed(resource, id, **fields)`. A resource is named by its collection in the spec's
paths ("datasources" for /datasources/{datasource_id}, "data-elements" for
/datasources/{datasource_id}/data-elements/{data_element_id}), and a record of it is what the
GET of that path answers. Which operation that is, the schema a record must match, the field
holding the id and the fields naming other resources are all read from the spec; what this
module adds per resource is how the fake keeps it: the defaults a create would give, the
fields the fake computes itself, and where the record goes.
"""

from __future__ import annotations

import copy
import difflib
import functools
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._agents import DEFAULT_AGENT, _slug
from ._answer import HTTPError
from ._documents import DocumentHandlers, document_status
from ._elements import ElementHandlers
from ._generic import GenericHandlers
from ._jobs import JOB_STATES, Job, now
from ._records import FakeSession, FilePart, ParseJob
from ._resources import Collection
from ._schema import FakeSchemaError, Spec, spec
from ._sessions import SessionHandlers

__all__ = ["RESOURCES", "Resource", "Seeding"]

_PARAMETER = re.compile(r"\{([^/]+?)\}")
_DOCUMENT = JOB_STATES["document"]
DEFAULT_DOCUMENT = FilePart("file", "document.pdf", "application/pdf", b"%PDF-1.7\n%seeded\n")


@dataclass(frozen=True)
class Resource:
    """A resource the fake can seed: `path` is the spec path whose GET answers one of them."""

    path: str
    prefix: str  # of the ids the fake makes for them ("ds" -> "ds_3")
    store: str  # the FakeState attribute keeping them
    derived: Mapping[str, str] = field(default_factory=dict)  # field -> what sets it
    extras: frozenset[str] = frozenset()  # keys beyond the schema that a seed takes

    @property
    def name(self) -> str:
        """The collection segment before the last path parameter: "datasources"."""
        return self.path.split("/")[-2]

    @property
    def parameter(self) -> str:
        """The last path parameter: the one naming a single resource."""
        return str(_PARAMETER.findall(self.path)[-1])


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
            {"tables": "upload a CSV file or call updateTableDescriptions"},
        ),
        Resource(
            "/datasources/{datasource_id}/data-elements/{data_element_id}", "element",
            "_data_elements",
        ),
        Resource(
            "/documents/{job_id}", "job", "_parse_jobs",
            {"format": "it is the file's extension: pass file=(name, data)",
             **dict.fromkeys(("pages", "elements", "tables", "processing_time_ms", "confidence"),
                             "the parse sets it when the job completes")},
            frozenset({"file"}),
        ),
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
    """What the spec says of a resource: its GET, the schema of its records, its id field."""

    operation_id: str
    ref: str
    title: str
    properties: frozenset[str]
    id_field: str


def _shape(path: str) -> _Shape:
    return _shape_in(spec(), path)


@functools.cache
def _shape_in(the_spec: Spec, path: str) -> _Shape:
    route = next(r for r in the_spec.routes if r.template == path and r.method == "GET")
    ref, schema = the_spec.json_answer(route.operation_id)
    properties = frozenset(schema.get("properties", {}))
    id_field = _PARAMETER.findall(path)[-1]
    if id_field not in properties and "id" in properties:
        id_field = "id"
    title = str(schema.get("title", route.operation_id))
    return _Shape(route.operation_id, ref, title, properties, id_field)


def _resource(name: str) -> Resource:
    resource = RESOURCES.get(name.replace("_", "-"))
    resource = resource or next(
        (r for r in RESOURCES.values() if name in (r.path, r.parameter)), None
    )
    if resource is None:
        close = difflib.get_close_matches(name, list(RESOURCES), n=2)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise ValueError(
            f"seed(): no resource {name!r}{hint}; the fake seeds {', '.join(RESOURCES)}"
        )
    return resource


def _handwritten(name: str) -> bool:
    """Whether `name` is a resource a hand-written seed makes (see RESOURCES)."""
    return name.replace("_", "-") in RESOURCES or any(
        name in (r.path, r.parameter) for r in RESOURCES.values()
    )


def _check_id(name: str, chosen: object, taken: bool) -> None:
    """A seed's id must be a new str that a URL can carry."""
    if not isinstance(chosen, str):
        raise TypeError(f"seed({name!r}): the id must be a str, not {chosen!r}")
    problem = None
    if not chosen.strip():
        problem = "an id needs a character other than spaces (the client refuses it)"
    elif "/" in chosen:
        problem = (
            "an id cannot hold '/': the API routes the decoded path, so no request would reach it"
        )
    elif taken:
        problem = "it is already in the fake (delete it through the API first)"
    if problem:
        raise ValueError(f"seed({name!r}, {chosen!r}): {problem}")


def _file_part(value: object) -> FilePart:
    """A document's file: a FilePart, or (filename, bytes[, content type])."""
    if isinstance(value, FilePart):
        return value
    if isinstance(value, tuple) and len(value) in (2, 3) and isinstance(value[1], bytes):
        name = str(value[0])
        kind = value[2] if len(value) == 3 else mimetypes.guess_type(name)[0]
        return FilePart("file", name, kind, value[1])
    raise TypeError(
        f"file= takes (filename, bytes) or (filename, bytes, content_type), not {value!r}"
    )


class Seeding(SessionHandlers, DocumentHandlers, ElementHandlers, GenericHandlers):
    """`seed()`, and how each resource is made and kept (`_seed_<resource>` methods)."""

    def seed(self, resource: str, id: str | None = None, /, **fields: Any) -> dict[str, Any]:
        """Put a `resource` with the chosen `id` in the fake, as if the API had made it:
        "agents", "artifact-schemas", "datasources", "data-elements", "documents", "sessions",
        or any collection the fake answers generically ("batch-definitions"), named by its
        collection, its item path or the parameter of that path.

        `fields` are the resource's, as its GET answers them (the id may be given there too);
        what is left out gets the defaults a create would give. The record is checked against
        the spec's schema for that answer (FakeSchemaError naming the field), and ids it names
        must exist (a session's agent_id, a data element's datasource_id; a nested resource's
        parent, passed by its parameter: datasource_id=...). Returns the record.
        """
        with self._using():
            if _handwritten(resource) and self._by_handlers(_resource(resource).path):
                return self._seed_handwritten(resource, id, fields)
            return self._seed_generic(self._collection(resource, "seed"), id, fields)

    def seedable(self) -> dict[str, str]:
        """Every resource `seed()` takes, by name: the path whose GET answers one."""
        with self._using():
            mine = {r.name: r.path for r in RESOURCES.values() if self._by_handlers(r.path)}
        return {**mine, **super().seedable()}

    def _known_elsewhere(self, collection: Collection, value: str) -> bool:
        kind = next((r for r in RESOURCES.values() if r.path == collection.item), None)
        return kind is None or value in getattr(self, kind.store)

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
            _check_id(name, chosen, taken)
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
        self, resource: str, id: str | None, fields: dict[str, Any]
    ) -> dict[str, Any]:
        kind = _resource(resource)
        shape = _shape(kind.path)
        with self._lock:
            chosen = self._chosen_id(kind, shape, id, fields)
            where = f"seed({kind.name!r}, {chosen!r})"
            for name in fields:
                if name in kind.derived:
                    raise ValueError(f"{where}: {name} is the fake's to set: {kind.derived[name]}")
                if name not in shape.properties and name not in kind.extras:
                    close = difflib.get_close_matches(name, sorted(shape.properties), n=2)
                    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                    raise FakeSchemaError(f"{where}: {shape.title} has no field {name!r}{hint}")
            given = dict(fields)
            record: dict[str, Any] = getattr(self, f"_seed_record_{kind.store[1:]}")(chosen, given)
            spec().check(shape.ref, record, f"{where}: {shape.title}")
            self._check_references(kind, shape, record, where)
            getattr(self, f"_seed{kind.store}")(record, given, where)
            return copy.deepcopy(record)

    def _chosen_id(
        self, kind: Resource, shape: _Shape, given: str | None, fields: dict[str, Any]
    ) -> str:
        in_fields = fields.pop(shape.id_field, None)
        if given is not None and in_fields is not None and given != in_fields:
            raise ValueError(
                f"seed({kind.name!r}): two ids, {given!r} and {shape.id_field}={in_fields!r}"
            )
        chosen = given if given is not None else in_fields
        if chosen is None:
            return self._id(kind.prefix)
        taken = chosen in getattr(self, kind.store) or (
            kind.store == "_parse_jobs" and chosen in self._jobs
        )
        _check_id(kind.name, chosen, taken)
        return str(chosen)

    def _check_references(
        self, kind: Resource, shape: _Shape, record: dict[str, Any], where: str
    ) -> None:
        """Every other resource the record names by id (`agent_id`, `datasource_id`) exists."""
        for other in RESOURCES.values():
            value = record.get(other.parameter)
            if other is kind or other.parameter == shape.id_field or value is None:
                continue
            if value not in getattr(self, other.store):
                raise ValueError(
                    f"{where}: {other.parameter} {value!r} is not in the fake: seed("
                    f"{other.name!r}, {value!r}) or create it through the API first"
                )

    # ----- agents -------------------------------------------------------------------------

    def _seed_record_agents(self, agent_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        detail = self._agent_detail(agent_id, str(fields.get("name") or agent_id))
        detail["display_name"] = agent_id.replace("_", " ").title()
        detail["instructions"] = "You are a helpful assistant."
        return {**detail, **fields}

    def _seed_agents(self, record: dict[str, Any], _: dict[str, Any], where: str) -> None:
        taken = next((a["id"] for a in self._agents.values() if a["name"] == record["name"]), None)
        if taken is not None:
            raise ValueError(
                f"{where}: agent {taken!r} is already named {record['name']!r} (names are "
                "unique: createAgent answers 409)"
            )
        self._keep_agent(record)

    # ----- artifact schemas ---------------------------------------------------------------

    def _seed_record_artifact_schemas(
        self, artifact_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        display = str(fields.get("display_name") or artifact_id)
        artifact = {
            "id": artifact_id, "name": _slug(display), "display_name": display,
            "description": "", "type": "json", "required": False, "storage_strategy": "auto",
            "schema_def": {"type": "object", "properties": {}}, "max_size_bytes": None,
            "version": "1", "parent_version": None, "created_at": now(), "created_by": None,
        }  # fmt: skip
        return {**artifact, **fields}

    def _seed_artifact_schemas(self, record: dict[str, Any], _: dict[str, Any], __: str) -> None:
        self._artifact_schemas[record["id"]] = record

    # ----- datasources and their data elements --------------------------------------------

    def _seed_record_datasources(
        self, datasource_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        created = now()
        datasource = {
            "id": datasource_id, "name": datasource_id, "description": "",
            "connector": {"type": "cloud_storage"}, "created_at": created,
            "updated_at": created, "files": {"total": 0},
        }  # fmt: skip
        return {**datasource, **fields}

    def _seed_datasources(self, record: dict[str, Any], _: dict[str, Any], __: str) -> None:
        self._datasources[record["id"]] = record
        self._tables[record["id"]] = {}

    def _seed_record_data_elements(self, element_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        name = str(fields.get("name") or element_id)
        created = now()
        element: dict[str, Any] = {
            "id": element_id, "name": name, "description": None,
            "media_type": mimetypes.guess_type(name)[0], "metadata": {},
            "created_at": created, "updated_at": created,
        }  # fmt: skip
        return {**element, **fields}

    def _seed_data_elements(self, record: dict[str, Any], _: dict[str, Any], __: str) -> None:
        self._data_elements[record["id"]] = record

    # ----- documents ----------------------------------------------------------------------

    def _seed_record_parse_jobs(self, job_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        part = _file_part(fields.pop("file", DEFAULT_DOCUMENT))
        fields["file"] = part  # kept for _seed_parse_jobs, not part of the record
        status = fields.get("status", _DOCUMENT[2])
        if status not in _DOCUMENT:
            raise ValueError(
                f"seed('documents', {job_id!r}): status {status!r} is not one of "
                f"{', '.join(_DOCUMENT)} (DocumentStatus.status in the spec)"
            )
        if fields.get("error") is not None and status != _DOCUMENT[3]:
            raise ValueError(
                f"seed('documents', {job_id!r}): an error goes with status 'failed', not {status!r}"
            )
        error = (fields.get("error") or "Fake failure") if status == _DOCUMENT[3] else None
        return document_status(job_id, status, part, error)

    def _seed_parse_jobs(self, record: dict[str, Any], fields: dict[str, Any], _: str) -> None:
        status = record["status"]
        failed = status == _DOCUMENT[3]
        job = Job("document", record["job_id"], self.job_steps, record["error"] if failed else None)
        job.status = status
        # A queued job's next poll is its first; a processing one has been polled once.
        job.polls = {_DOCUMENT[0]: 0, _DOCUMENT[1]: 1}.get(status, self.job_steps + 1)
        if job.terminal:
            job.finished_at = now()
        self._jobs[job.job_id] = job
        self._parse_jobs[job.job_id] = ParseJob(job.job_id, fields["file"], status)

    # ----- sessions -----------------------------------------------------------------------

    def _seed_record_sessions(self, session_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        agent_id = fields.get("agent_id") or DEFAULT_AGENT
        agent = self._agents.get(agent_id)
        messages = fields.get("messages", [])
        if isinstance(messages, list):
            messages = [
                {"signal_id": None, "timestamp": now(), **item} if isinstance(item, dict) else item
                for item in messages
            ]
        session: dict[str, Any] = {
            "session_id": session_id,
            "created_at": now(),
            "agent_id": agent_id,
            "agent_name": agent["name"] if agent else agent_id,
            "version": self._latest(agent)["version"] if agent else None,
            "status": "active",
            "tool_activity": [],
            "token_usage": [],
            "file_parsing": [],
            "result": [],
        }
        return {**session, **fields, "agent_id": agent_id, "messages": messages}

    def _seed_sessions(self, record: dict[str, Any], _: dict[str, Any], where: str) -> None:
        if not isinstance(record["created_at"], str):
            created = record["created_at"]
            raise FakeSchemaError(f"{where}: created_at must be a str, not {created!r}")
        history = []
        for index, item in enumerate(record["messages"]):
            if item["role"] not in ("user", "assistant"):
                raise ValueError(
                    f"{where}: messages/{index}/role is {item['role']!r}: the fake keeps "
                    "'user' and 'assistant' messages (tool calls come from chats)"
                )
            kind = "user_message" if item["role"] == "user" else "agent_response"
            kept = {key: item[key] for key in ("message", "signal_id", "timestamp")}
            history.append({"type": kind, **kept})
        session = FakeSession(record["session_id"], record["agent_id"], record["created_at"])
        session.messages.extend(history)
        session.status = record["status"]
        self._sessions[session.id] = session
