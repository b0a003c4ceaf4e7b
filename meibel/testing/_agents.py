"""Agents (definitions, versions, publishing, their sessions) and artifact schemas.

An agent is created by createAgent, or implicitly by createSession for an id the fake has not
seen (with defaults: "agent_123" exists from the start). Each createAgent/updateAgent makes a
version ("1", "2", ...); publishAgent publishes the latest one.
"""

from __future__ import annotations

import re
from typing import Any

from ._answer import Answer, HTTPError
from ._jobs import now
from ._routing import flag, integer, page
from ._schema import Spec
from ._state import FakeState

__all__ = ["AgentHandlers"]

DEFAULT_AGENT = "agent_123"
_DEFINITION_FIELDS = (
    "artifacts", "confidence_configs", "datasources", "description", "display_name",
    "execution_policy", "execution_policy_ids", "fallback_models", "icon", "instructions",
    "llm_model", "max_tokens", "tags", "temperature", "tools", "type",
)  # fmt: skip
_LISTS = ("artifacts", "confidence_configs", "datasources", "fallback_models", "tags", "tools")
_ARTIFACT_FIELDS = (
    "description", "display_name", "max_size_bytes", "required", "schema_def",
    "storage_strategy", "type",
)  # fmt: skip


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "agent"


def _sorted(records: list[dict[str, Any]], query: dict[str, str], default: str) -> list[Any]:
    """`records` by `sort_by` (a field they have, else `default`) and `sort_order` (desc)."""
    key = query.get("sort_by") or default
    if not records or key not in records[0]:
        key = default
    descending = (query.get("sort_order") or "desc").lower() != "asc"
    # The creation order breaks ties of timestamps taken within one clock tick.
    return sorted(records, key=lambda r: (str(r.get(key) or ""), r["order"]), reverse=descending)


class AgentHandlers(FakeState):
    """createAgent ... listSessions, and the artifact schema operations."""

    def __init__(self, *, job_steps: int = 2, spec: Spec | None = None) -> None:
        super().__init__(job_steps=job_steps, spec=spec)
        self._implicit_agent(DEFAULT_AGENT)

    # ----- agents -------------------------------------------------------------------------

    def _implicit_agent(self, agent_id: str) -> dict[str, Any]:
        """The agent `agent_id`, created with defaults if the fake has not seen it."""
        agent = self._agents.get(agent_id)
        if agent is None:
            display = agent_id.replace("_", " ").title()
            definition = {"display_name": display, "instructions": "You are a helpful assistant."}
            agent = self._add_agent(agent_id, agent_id, definition, model="fake-model")
        return agent

    def _add_agent(
        self, agent_id: str, name: str, definition: dict[str, Any], *, model: str = "fake-model"
    ) -> dict[str, Any]:
        detail = self._agent_detail(agent_id, name, model=model)
        self._merge(detail, definition)
        return self._keep_agent(detail)

    @staticmethod
    def _agent_detail(agent_id: str, name: str, *, model: str = "fake-model") -> dict[str, Any]:
        """A first version's AgentDetailResponse, before its definition is merged in."""
        return {
            "id": agent_id,
            "name": name,
            "catalog_urn": f"urn:meibel:agent:{name}",
            "created_at": now(),
            "created_by": None,
            "type": "chat",
            "llm_model": model,
            "temperature": 0.7,
            "version": "1",
            "parent_version": None,
            **{field: [] for field in _LISTS},
        }

    def _keep_agent(self, detail: dict[str, Any]) -> dict[str, Any]:
        """Keep an agent whose only version is `detail`."""
        agent_id = detail["id"]
        agent = {"id": agent_id, "name": detail["name"], "created_at": detail["created_at"]}
        agent["order"] = self._sequence()
        agent["versions"] = [{"detail": detail, "published_at": None, "commit_message": None}]
        self._agents[agent_id] = agent
        return agent

    @staticmethod
    def _merge(detail: dict[str, Any], changes: dict[str, Any]) -> None:
        for field in _DEFINITION_FIELDS:
            if changes.get(field) is not None:
                detail[field] = changes[field]

    def _agent(self, agent_id: str) -> dict[str, Any]:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise HTTPError(404, f"Agent {agent_id} not found")
        return agent

    @staticmethod
    def _latest(agent: dict[str, Any]) -> dict[str, Any]:
        detail: dict[str, Any] = agent["versions"][-1]["detail"]
        return detail

    def _summary(self, agent: dict[str, Any]) -> dict[str, Any]:
        detail = self._latest(agent)
        sessions = [s for s in self._sessions.values() if s.agent_id == agent["id"]]
        return {
            "id": agent["id"],
            "name": agent["name"],
            "display_name": detail["display_name"],
            "description": detail.get("description"),
            "version": detail["version"],
            "type": detail["type"],
            "llm_model": detail["llm_model"],
            "tool_count": len(detail["tools"]),
            "datasource_count": len(detail["datasources"]),
            "last_execution_status": "RUNNING" if sessions else None,
            "last_execution_time": sessions[-1].created_at if sessions else None,
        }

    def _op_listAgents(self, *, query: dict[str, str], **_: Any) -> Answer:
        agents = list(self._agents.values())
        if flag(query, "published_only"):
            agents = [a for a in agents if any(v["published_at"] for v in a["versions"])]
        for parameter, field in (
            ("datasource_id", "datasources"),
            ("artifact_schema_id", "artifacts"),
        ):
            if query.get(parameter):
                agents = [a for a in agents if query[parameter] in self._latest(a)[field]]
        rows = [
            {**self._summary(a), "order": a["order"], "created_at": a["created_at"]} for a in agents
        ]
        chosen, offset = page(_sorted(rows, query, "created_at"), query, 20)
        data = [
            {k: v for k, v in row.items() if k not in ("order", "created_at")} for row in chosen
        ]
        limit = integer(query, "limit", 20)
        return Answer(200, {"data": data, "total": len(rows), "offset": offset, "limit": limit})

    def _op_createAgent(self, *, json: dict[str, Any], **_: Any) -> Answer:
        name = _slug(json["display_name"])
        if any(agent["name"] == name for agent in self._agents.values()):
            raise HTTPError(409, f"An agent named {name} already exists")
        agent = self._add_agent(self._id("agent"), name, json, model=json.get("llm_model") or "")
        detail = self._latest(agent)
        if not detail["llm_model"]:
            detail["llm_model"] = "fake-model"
        body = {"id": agent["id"], "name": name, "display_name": detail["display_name"]}
        return Answer(200, {**body, "version": detail["version"]})

    def _op_getAgent(self, *, params: dict[str, str], **_: Any) -> Answer:
        agent = self._agent(params["agent_id"])
        detail = dict(self._latest(agent))
        detail["last_execution_time"] = self._summary(agent)["last_execution_time"]
        return Answer(200, detail)

    def _op_updateAgent(self, *, params: dict[str, str], json: dict[str, Any], **_: Any) -> Answer:
        agent = self._agent(params["agent_id"])
        previous = self._latest(agent)
        version = str(len(agent["versions"]) + 1)
        detail = {**previous, "version": version, "parent_version": previous["version"]}
        detail["created_at"] = now()
        self._merge(detail, json)
        agent["versions"].append({"detail": detail, "published_at": None, "commit_message": None})
        urn = detail["catalog_urn"]
        return Answer(200, {"id": agent["id"], "version": version, "catalog_urn": urn})

    def _op_deleteAgent(self, *, params: dict[str, str], **_: Any) -> Answer:
        self._agent(params["agent_id"])
        del self._agents[params["agent_id"]]
        return Answer(204)

    def _op_publishAgent(self, *, params: dict[str, str], json: dict[str, Any], **_: Any) -> Answer:
        agent = self._agent(params["agent_id"])
        latest = agent["versions"][-1]
        latest["published_at"] = now()
        latest["commit_message"] = json["commit_message"]
        detail = latest["detail"]
        body = {
            "id": agent["id"],
            "agent_name": agent["name"],
            "agent_definition_urn": f"{detail['catalog_urn']}:{detail['version']}",
            "display_name": detail["display_name"],
            "version": detail["version"],
            "commit_message": json["commit_message"],
            "published_at": latest["published_at"],
            "published_by": None,
        }
        return Answer(200, body)

    def _op_listAgentVersions(
        self, *, params: dict[str, str], query: dict[str, str], **_: Any
    ) -> Answer:
        agent = self._agent(params["agent_id"])
        versions = [
            {
                "id": agent["id"],
                "version": v["detail"]["version"],
                "display_name": v["detail"]["display_name"],
                "description": v["detail"].get("description"),
                "llm_model": v["detail"]["llm_model"],
                "parent_version": v["detail"]["parent_version"],
                "created_at": v["detail"]["created_at"],
                "created_by": None,
                "is_published": v["published_at"] is not None,
                "published_at": v["published_at"],
                "commit_message": v["commit_message"],
            }
            for v in reversed(agent["versions"])
        ]
        if query.get("published") in ("true", "false"):
            wanted = query["published"] == "true"
            versions = [v for v in versions if v["is_published"] is wanted]
        data, offset = page(versions, query, None)
        limit = integer(query, "limit", 0) or None
        return Answer(200, {"data": data, "total": len(versions), "offset": offset, "limit": limit})

    def _op_listSessions(
        self, *, params: dict[str, str], query: dict[str, str], **_: Any
    ) -> Answer:
        agent = self._agent(params["agent_id"])
        version = self._latest(agent)["version"]
        rows = [
            {
                "session_id": session.id,
                "start_time": session.created_at,
                "end_time": None,
                "status": "RUNNING",
                "agent_name": agent["name"],
                "agent_version": version,
                "messages_count": len(session.messages),
                "result": [],
                "token_usage": None,
                "order": index,
            }
            for index, session in enumerate(self._sessions.values())
            if session.agent_id == agent["id"]
        ]
        if query.get("status"):
            rows = [row for row in rows if row["status"] == query["status"].upper()]
        chosen, offset = page(_sorted(rows, query, "start_time"), query, 10)
        data = [{k: v for k, v in row.items() if k != "order"} for row in chosen]
        limit = integer(query, "limit", 10)
        return Answer(200, {"data": data, "total": len(rows), "offset": offset, "limit": limit})

    # ----- artifact schemas ---------------------------------------------------------------

    def _artifact(self, artifact_id: str) -> dict[str, Any]:
        artifact = self._artifact_schemas.get(artifact_id)
        if artifact is None:
            raise HTTPError(404, f"Artifact schema {artifact_id} not found")
        return artifact

    def _op_createArtifactSchema(self, *, json: dict[str, Any], **_: Any) -> Answer:
        artifact: dict[str, Any] = {
            "id": self._id("artifact"),
            "name": _slug(json["display_name"]),
            "description": "",
            "required": False,
            "storage_strategy": "auto",
            "max_size_bytes": None,
            "version": "1",
            "parent_version": None,
            "created_at": now(),
            "created_by": None,
        }
        artifact.update({k: json[k] for k in _ARTIFACT_FIELDS if json.get(k) is not None})
        self._artifact_schemas[artifact["id"]] = artifact
        body = {k: artifact[k] for k in ("id", "name", "display_name", "version")}
        return Answer(200, body)

    def _op_getArtifactSchema(self, *, params: dict[str, str], **_: Any) -> Answer:
        return Answer(200, dict(self._artifact(params["artifact_id"])))

    def _op_updateArtifactSchema(
        self, *, params: dict[str, str], json: dict[str, Any], **_: Any
    ) -> Answer:
        artifact = self._artifact(params["artifact_id"])
        artifact["parent_version"] = artifact["version"]
        artifact["version"] = str(int(artifact["version"]) + 1)
        artifact.update({k: json[k] for k in _ARTIFACT_FIELDS if json.get(k) is not None})
        return Answer(200, {"id": artifact["id"], "version": artifact["version"]})

    def _op_deleteArtifactSchema(self, *, params: dict[str, str], **_: Any) -> Answer:
        del self._artifact_schemas[self._artifact(params["artifact_id"])["id"]]
        return Answer(204)

    def _op_listArtifactSchemas(self, *, query: dict[str, str], **_: Any) -> Answer:
        rows = [
            {**artifact, "order": index}
            for index, artifact in enumerate(self._artifact_schemas.values())
        ]
        chosen, _offset = page(_sorted(rows, query, "created_at"), query, None)
        data = [
            {
                "id": row["id"],
                "name": row["name"],
                "description": row["description"],
                "type": row["type"],
                "fields_summary": [
                    {"name": name, "type": str(sub.get("type", "object"))}
                    for name, sub in (row["schema_def"].get("properties") or {}).items()
                    if isinstance(sub, dict)
                ],
            }
            for row in chosen
        ]
        return Answer(200, {"data": data, "total": len(rows)})
