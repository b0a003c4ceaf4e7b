"""Every operation of the spec on both clients, called the way the vendor's guide and code
samples call it, against a real server on 127.0.0.1. The GUIDE_* snippets are the vendor's guide
verbatim (docs.meibel.ai "Sessions & Chat", its non-streaming snippets)."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from answers import CHAT_RESPONSE, MESSAGES, SESSION_DETAILS
from support import KEY, client_for
from wire import RecordingServer

from meibel import AsyncMeibelClient, MeibelClient
from meibel.models import ChatMessageRequest

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.spec
def test_every_operation_of_the_spec_is_a_method_on_both_clients() -> None:
    sync_client = MeibelClient(api_key=KEY)
    async_client = AsyncMeibelClient(api_key=KEY)
    count = 0
    for item in SPEC["paths"].values():
        for operation in item.values():
            namespace = _snake(operation["tags"][0].replace(" ", ""))
            name = _snake(operation["operationId"])
            path_params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            for client in (sync_client, async_client):
                method = getattr(getattr(client, namespace), name)
                signature = inspect.signature(method)
                assert {p for p in signature.parameters if p in path_params} == set(path_params)
                if "requestBody" in operation:
                    assert "body" in signature.parameters
            assert inspect.iscoroutinefunction(getattr(getattr(async_client, namespace), name)) or (
                "SyncPage" in str(inspect.signature(getattr(getattr(sync_client, namespace), name)))
            )
            count += 1
    assert count == len(
        {op["operationId"] for item in SPEC["paths"].values() for op in item.values()}
    )
    sync_client.close()


def test_vendor_sdk_call_shapes_from_the_spec_code_samples() -> None:
    client = MeibelClient(api_key=KEY)
    # agents.sessions is the sessions namespace plus the agents' session operations.
    assert isinstance(client.agents.sessions, type(client.sessions))
    assert (
        client.agents.sessions.send_chat_message.__func__
        is client.sessions.send_chat_message.__func__
    )
    assert client.sessions.get_messages == client.sessions.get_session_messages
    client.close()


GUIDE_CREATE_SESSION = """
import os
from meibel import MeibelClient

client = MeibelClient(api_key=os.environ["MEIBEL_API_KEY"])

session = client.agents.create_session(agent_id="agent_123")

print(session.id)
print(session.agent_id)
"""

GUIDE_SEND_CHAT = """
from meibel.models import ChatMessageRequest

response = client.sessions.send_chat_message(
    session_id=session.id,
    body=ChatMessageRequest(
        user_message="What are the key findings in the Q4 report?",
    ),
)

print(response.message)
print(response.citations)
"""

GUIDE_HISTORY = """
messages = client.sessions.get_session_messages(session_id=session.id)

for msg in messages:
    print(f"[{msg.role}] {msg.message}")
"""

GUIDE_SESSION_DETAILS = """
session = client.sessions.get_session(session_id="session_456")

print(session.id)
print(session.agent_id)
print(session.created_at)
"""


def test_the_vendor_guide_runs_verbatim(
    recording_server: RecordingServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MEIBEL_API_KEY", KEY)
    monkeypatch.setenv("MEIBEL_BASE_URL", recording_server.url + "/v2")
    recording_server.respond(200, {"session_id": "session_789"})
    recording_server.respond(200, CHAT_RESPONSE)
    recording_server.respond(200, MESSAGES)
    recording_server.respond(200, SESSION_DETAILS)

    namespace: dict[str, Any] = {}
    for snippet in (GUIDE_CREATE_SESSION, GUIDE_SEND_CHAT, GUIDE_HISTORY, GUIDE_SESSION_DETAILS):
        exec(snippet, namespace)
    namespace["client"].close()

    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == ["session_789", "agent_123", "Revenue grew 12% [1]."]
    assert "Q4 report" in printed[3]
    assert printed[4:7] == [
        "[user] What are the key findings?",
        "[assistant] Revenue grew 12%.",
        "[tool] None",
    ]
    assert printed[7:] == ["session_456", "agent_123", "None"]
    methods_and_paths = [(r.method, r.target) for r in recording_server.requests]
    assert methods_and_paths == [
        ("POST", "/v2/agents/agent_123/sessions"),
        ("POST", "/v2/sessions/session_789/chat"),
        ("GET", "/v2/sessions/session_789/messages"),
        ("GET", "/v2/sessions/session_456"),
    ]
    assert all(r.headers["Meibel-API-Key"] == KEY for r in recording_server.requests)
    chat_body = json.loads(recording_server.requests[1].body)
    assert chat_body == {"user_message": "What are the key findings in the Q4 report?"}
    response = namespace["response"]
    assert response.token_usage.additional_properties == {"input": 10, "output": 5}
    assert len(namespace["messages"]) == 3


def test_vendor_code_sample_shapes_send_the_same_requests(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, CHAT_RESPONSE)
    recording_server.respond(200, MESSAGES)
    with client_for(recording_server) as client:
        body = ChatMessageRequest(user_message="hi")
        result = client.agents.sessions.send_chat_message("session_id_value", body=body)
        history = client.sessions.get_messages("session_id_value")
    assert result.message == "Revenue grew 12% [1]."
    assert [m.role for m in history] == ["user", "assistant", "tool"]
    assert [r.target for r in recording_server.requests] == [
        "/v2/sessions/session_id_value/chat",
        "/v2/sessions/session_id_value/messages",
    ]
