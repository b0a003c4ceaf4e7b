"""Sessions and chat: createSession(ByName), getSession, getSessionMessages, and the two chats.

Replies come from the queue `FakeMeibel.reply` fills (DEFAULT_REPLY when it is empty); each
completed turn is kept in the session's history and gets a scoring job.
"""

from __future__ import annotations

import json as jsonlib
from typing import Any

from ._agents import AgentHandlers
from ._answer import Answer, HTTPError, sse
from ._jobs import now
from ._records import FakeSession, FilePart, RecordedChat, Reply
from ._schema import spec
from ._scoring import ScoringHandlers

__all__ = ["DEFAULT_REPLY", "SessionHandlers"]

DEFAULT_REPLY = "This is a fake reply."
"""What the fake's chats answer when no `reply(...)` is queued."""
_STREAM = "sendChatMessageStream"


def _pieces(text: str, count: int = 3) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // count))
    return [text[i : i + size] for i in range(0, len(text), size)]


class SessionHandlers(AgentHandlers, ScoringHandlers):
    """The Sessions operations, and createSession / createSessionByName."""

    def _next_reply(self) -> Reply:
        if self._replies:
            return self._replies.popleft()
        return Reply(DEFAULT_REPLY, None, None, [], 0.0, None)

    def _start_session(self, agent: dict[str, Any]) -> Answer:
        session = FakeSession(self._id("session"), agent["id"], now())
        self._sessions[session.id] = session
        body = {"session_id": session.id, "agent_id": session.agent_id}
        return Answer(200, {**body, "created_at": session.created_at})

    def _op_createSession(self, *, params: dict[str, str], **_: Any) -> Answer:
        return self._start_session(self._implicit_agent(params["agent_id"]))

    def _op_createSessionByName(self, *, params: dict[str, str], **_: Any) -> Answer:
        name = params["name"]
        agent = next((a for a in self._agents.values() if a["name"] == name), None)
        if agent is None:
            raise HTTPError(404, f"Agent named {name} not found")
        return self._start_session(agent)

    def _agent_of(self, session: FakeSession) -> tuple[str, str | None]:
        """The session's agent name and version (the agent may have been deleted since)."""
        agent = self._agents.get(session.agent_id)
        if agent is None:
            return session.agent_id, None
        return agent["name"], self._latest(agent)["version"]

    def _op_getSession(self, *, params: dict[str, str], **_: Any) -> Answer:
        session = self._session(params["session_id"])
        messages = [
            {
                "role": "user" if item["type"] == "user_message" else "assistant",
                "message": item["message"],
                "signal_id": item["signal_id"],
                "timestamp": item["timestamp"],
            }
            for item in session.messages
            if item["type"] in ("user_message", "agent_response")
        ]
        tools = [
            {
                "tool_id": item["tool_id"],
                "tool_call": {
                    "tool_name": item["tool_name"],
                    "arguments": item["arguments"],
                    "sequence": None,
                    "timestamp": item["timestamp"],
                },
                "tool_result": {
                    "tool_name": item["tool_name"],
                    "result": jsonlib.dumps(item["result"]),
                    "sequence": None,
                    "timestamp": item["timestamp"],
                },
            }
            for item in session.messages
            if item["type"] == "tool_call"
        ]
        parsing = [
            {
                "file_id": f"file_{index}",
                "filename": part.filename,
                "parse_start": None,
                "parse_complete": None,
            }
            for index, part in enumerate(session.files, start=1)
        ]
        name, version = self._agent_of(session)
        body = {
            "session_id": session.id,
            "created_at": session.created_at,
            "agent_id": session.agent_id,
            "agent_name": name,
            "version": version,
            "status": session.status,
            "messages": messages,
            "tool_activity": tools,
            "token_usage": [],
            "file_parsing": parsing,
            "result": [],
        }
        return Answer(200, body)

    def _op_getSessionMessages(self, *, params: dict[str, str], **_: Any) -> Answer:
        session = self._session(params["session_id"])
        name, version = self._agent_of(session)
        body = {
            "agent_id": session.agent_id,
            "agent_name": name,
            "version": version,
            "messages": [dict(item) for item in session.messages],
        }
        return Answer(200, body)

    def _history(self, session: FakeSession, reply: Reply, signal_id: str) -> None:
        """Record a completed reply (its tool calls, then its text) and score the turn."""
        for index, call in enumerate(reply.tool_calls, start=1):
            session.messages.append(
                {
                    "type": "tool_call",
                    "tool_id": f"{signal_id}_tool_{index}",
                    "tool_name": call.name,
                    "arguments": call.arguments,
                    "result": call.result,
                    "signal_id": signal_id,
                    "timestamp": now(),
                }
            )
        session.messages.append(
            {"type": "agent_response", "message": reply.text, "signal_id": signal_id,
             "timestamp": now()}
        )  # fmt: skip
        self._score_turn(session, *self._agent_of(session))

    def _user_turn(self, session: FakeSession, message: str, signal_id: str) -> None:
        session.messages.append(
            {"type": "user_message", "message": message, "signal_id": signal_id,
             "timestamp": now()}
        )  # fmt: skip

    def _op_sendChatMessage(
        self, *, params: dict[str, str], json: dict[str, Any], **_: Any
    ) -> Answer:
        session = self._session(params["session_id"])
        message = json["user_message"]
        self.chats.append(RecordedChat(session.id, message, False, dict(json), []))
        reply = self._next_reply()
        signal_id = self._id("signal")
        response: dict[str, Any] = {"message": reply.text}
        if reply.sources is not None:
            response["sources"] = reply.sources
        if reply.follow_up_questions is not None:
            response["follow_up_questions"] = reply.follow_up_questions
        body: dict[str, Any] = {
            "signal_id": signal_id,
            "assistant_response": reply.text,
            "response": response,
        }
        if reply.tool_calls:
            body["tool_activity"] = [
                {
                    "tool_id": f"{signal_id}_tool_{index}",
                    "tool_name": call.name,
                    "arguments": call.arguments,
                    "result": call.result,
                    "timestamp": now(),
                }
                for index, call in enumerate(reply.tool_calls, start=1)
            ]
        # Validate before the history changes, so a bad script leaves no half-written turn.
        spec().check_response("sendChatMessage", body)
        self._user_turn(session, message, signal_id)
        self._history(session, reply, signal_id)
        return Answer(200, body)

    def _op_sendChatMessageStream(
        self, *, params: dict[str, str], form: dict[str, str], files: list[FilePart], **_: Any
    ) -> Answer:
        session = self._session(params["session_id"])
        message = form.get("user_message", "")
        self.chats.append(RecordedChat(session.id, message, True, dict(form), list(files)))
        reply = self._next_reply()
        signal_id = self._id("signal")
        events = _stream_events(reply, signal_id)
        completed = reply.drop_after is None
        if reply.drop_after is not None:
            kept = 0
            cut: list[bytes | float] = []
            for chunk in events:
                if isinstance(chunk, bytes):
                    if kept >= reply.drop_after:
                        break
                    kept += 1
                cut.append(chunk)
            events = cut
        self._user_turn(session, message, signal_id)
        session.files.extend(files)
        if completed:
            self._history(session, reply, signal_id)
        return Answer(200, events=events, drop=not completed)


def _stream_events(reply: Reply, signal_id: str) -> list[bytes | float]:
    """The whole chat stream, every event validated before anything is sent."""
    check = spec().check_event
    sequence = 0
    chunks: list[bytes | float] = []

    def emit(name: str, data: dict[str, Any]) -> None:
        check(_STREAM, name, data)
        chunks.append(sse(name, data))

    def envelope(kind: str, **fields: Any) -> dict[str, Any]:
        nonlocal sequence
        sequence += 1
        disposition = "final" if kind == "completion" else "partial"
        return {
            "type": kind,
            "disposition": disposition,
            "sequence": str(sequence),
            "timestamp": now(),
            **fields,
        }

    emit("connected", {"signal_id": signal_id})
    emit("status", envelope("status", content="Thinking"))
    for index, call in enumerate(reply.tool_calls, start=1):
        tool_id = f"{signal_id}_tool_{index}"
        emit(
            "tool_call",
            envelope("tool_call", tool_id=tool_id, tool_name=call.name, arguments=call.arguments),
        )
        emit("tool_result", envelope("tool_result", tool_id=tool_id, result=call.result))
    for index, piece in enumerate(_pieces(reply.text)):
        data = {"message": piece, "clean_message": piece}
        emit("partial_response", envelope("partial_response", data=data))
        if index == 0 and reply.pause_after_first > 0:
            chunks.append(reply.pause_after_first)
    final: dict[str, Any] = {"message": reply.text, "clean_message": reply.text}
    if reply.sources is not None:
        # The event schema leaves sources loose; hold them to the spec's Source, as the
        # non-streaming reply is, so a script valid in one mode is valid in both.
        for index, source in enumerate(reply.sources):
            spec().check_component(_STREAM, "Source", source, f"completion source {index}")
        final["sources"] = reply.sources
    if reply.follow_up_questions is not None:
        final["follow_up_questions"] = reply.follow_up_questions
    emit("completion", envelope("completion", data=final))
    chunks.append(b"data: [DONE]\n\n")
    return chunks
