"""Seeding records: what `seed()` makes of an agent, an artifact schema, a datasource, a data
element, a table, a metadata model or a session, and how the fake keeps it (see _seeding.py for
`seed()` itself, _seeding_jobs.py for the jobs).

Each `_seed_record_<resource>` method makes the record with the defaults a create would give,
which seed() checks against the spec; each `_seed_<resource>` method keeps it.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from ._agents import DEFAULT_AGENT, _slug
from ._documents import DocumentHandlers
from ._elements import ElementHandlers
from ._jobs import now
from ._records import FakeSession
from ._schema import FakeSchemaError
from ._sessions import SessionHandlers

__all__ = ["RecordSeeding"]


class RecordSeeding(SessionHandlers, DocumentHandlers, ElementHandlers):
    """The `_seed_record_<resource>` and `_seed_<resource>` methods of the resources but jobs."""

    # ----- tables and the metadata model catalog -------------------------------------------

    def _seed_record_tables(
        self, table_name: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        return {"table_name": table_name, "description": None, "columns": [], **fields}

    def _seed_tables(
        self, record: dict[str, Any], _: dict[str, Any], parents: dict[str, str], __: str
    ) -> None:
        # Each column as listColumns answers it: a description and a type, None when not known.
        record["columns"] = [
            {"column_name": c["column_name"], "description": c.get("description"),
             "type": c.get("type")}
            for c in record["columns"] or []
        ]  # fmt: skip
        self._tables.setdefault(parents["datasource_id"], {})[record["table_name"]] = record

    def _seed_record_metadata_model_catalog(
        self, model_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        name = model_id.replace("_", " ").capitalize()
        entry = {"model_id": model_id, "name": name, "scope": "global", "description": None}
        return {**entry, "fields": [], **fields}

    def _seed_metadata_model_catalog(
        self, record: dict[str, Any], _: dict[str, Any], __: dict[str, str], ___: str
    ) -> None:
        self._catalog[record["model_id"]] = record

    # ----- agents -------------------------------------------------------------------------

    def _seed_record_agents(
        self, agent_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        detail = self._agent_detail(agent_id, str(fields.get("name") or agent_id))
        detail["display_name"] = agent_id.replace("_", " ").title()
        detail["instructions"] = "You are a helpful assistant."
        return {**detail, **fields}

    def _seed_agents(
        self, record: dict[str, Any], _: dict[str, Any], __: dict[str, str], where: str
    ) -> None:
        taken = next((a["id"] for a in self._agents.values() if a["name"] == record["name"]), None)
        if taken is not None:
            raise ValueError(
                f"{where}: agent {taken!r} is already named {record['name']!r} (names are "
                "unique: createAgent answers 409)"
            )
        self._keep_agent(record)

    # ----- artifact schemas ---------------------------------------------------------------

    def _seed_record_artifact_schemas(
        self, artifact_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        display = str(fields.get("display_name") or artifact_id)
        artifact = {
            "id": artifact_id, "name": _slug(display), "display_name": display,
            "description": "", "type": "json", "required": False, "storage_strategy": "auto",
            "schema_def": {"type": "object", "properties": {}}, "max_size_bytes": None,
            "version": "1", "parent_version": None, "created_at": now(), "created_by": None,
        }  # fmt: skip
        return {**artifact, **fields}

    def _seed_artifact_schemas(
        self, record: dict[str, Any], _: dict[str, Any], __: dict[str, str], ___: str
    ) -> None:
        self._artifact_schemas[record["id"]] = record

    # ----- datasources and their data elements --------------------------------------------

    def _seed_record_datasources(
        self, datasource_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        created = now()
        datasource = {
            "id": datasource_id, "name": datasource_id, "description": "",
            "connector": {"type": "cloud_storage"}, "created_at": created,
            "updated_at": created, "files": {"total": 0},
        }  # fmt: skip
        return {**datasource, **fields}

    def _seed_datasources(
        self, record: dict[str, Any], _: dict[str, Any], __: dict[str, str], ___: str
    ) -> None:
        self._datasources[record["id"]] = record
        self._tables[record["id"]] = {}

    def _seed_record_data_elements(
        self, element_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        name = str(fields.get("name") or element_id)
        created = now()
        element: dict[str, Any] = {
            "id": element_id, "name": name, "description": None,
            "media_type": mimetypes.guess_type(name)[0], "metadata": {},
            "created_at": created, "updated_at": created,
        }  # fmt: skip
        return {**element, **fields}

    def _seed_data_elements(
        self, record: dict[str, Any], _: dict[str, Any], __: dict[str, str], ___: str
    ) -> None:
        self._data_elements[record["id"]] = record

    # ----- sessions -----------------------------------------------------------------------

    def _seed_record_sessions(
        self, session_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
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

    def _seed_sessions(
        self, record: dict[str, Any], _: dict[str, Any], __: dict[str, str], where: str
    ) -> None:
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
