"""MeibelClient and AsyncMeibelClient against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from wire import DroppingServer, RecordingServer

import meibel
from meibel import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncMeibelClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MeibelClient,
    MeibelError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from meibel._retry import RetryPolicy, retry_after_seconds
from meibel.models import ChatMessageRequest, IngestStatus

ROOT = Path(__file__).resolve().parent.parent
SPEC = json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))
KEY = "sk-test-9f8e7d6c5b4a"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _client(server: RecordingServer, **options: Any) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2", **options)


# -- configuration ------------------------------------------------------------------------------


def test_missing_api_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEIBEL_API_KEY", raising=False)
    with pytest.raises(MeibelError, match="MEIBEL_API_KEY"):
        MeibelClient()
    with pytest.raises(MeibelError, match="MEIBEL_API_KEY"):
        AsyncMeibelClient()


def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEIBEL_API_KEY", KEY)
    monkeypatch.delenv("MEIBEL_BASE_URL", raising=False)
    with MeibelClient() as client:
        assert str(client.base_url) == "https://api.meibel.ai/v2"
    monkeypatch.setenv("MEIBEL_BASE_URL", "http://127.0.0.1:9/v2/")
    with MeibelClient() as client:
        assert str(client.base_url) == "http://127.0.0.1:9/v2"


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
    assert client.agents.sessions.send_chat_message == client.sessions.send_chat_message
    assert client.sessions.get_messages == client.sessions.get_session_messages
    client.close()


def test_repr_and_attributes_never_show_the_key() -> None:
    client = MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    assert KEY not in repr(client)
    assert KEY not in repr(vars(client))
    assert KEY not in repr(client.with_options(max_retries=0))
    client.close()


# -- the vendor guide, verbatim (docs.meibel.ai "Sessions & Chat", non-streaming snippets) --------

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

CHAT_RESPONSE = {
    "signal_id": "sig_1",
    "assistant_response": "Revenue grew 12%.",
    "response": {
        "message": "Revenue grew 12% [1].",
        "sources": [{"title": "Q4 report", "url": None, "data_element_id": "de_9"}],
        "follow_up_questions": ["And Q3?"],
    },
    "token_usage": {"input": 10, "output": 5},
}
MESSAGES = {
    "agent_id": "agent_123",
    "messages": [
        {"type": "user_message", "message": "What are the key findings?", "timestamp": "t1"},
        {"type": "agent_response", "message": "Revenue grew 12%.", "timestamp": "t2"},
        {"type": "tool_call", "tool_name": "search", "arguments": {"q": "Q4"}},
    ],
}
SESSION_DETAILS = {
    "agent_id": "agent_123",
    "agent_name": "Analyst",
    "version": "3",
    "status": "running",
    "messages": [],
    "tool_activity": [],
    "token_usage": [],
    "file_parsing": [],
    "result": [],
}


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
        "[tool] UNSET",
    ]
    assert printed[7:] == ["session_456", "agent_123", "None"]
    methods_and_paths = [(r.method, r.path) for r in recording_server.requests]
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
    with _client(recording_server) as client:
        body = ChatMessageRequest(user_message="hi")
        result = client.agents.sessions.send_chat_message("session_id_value", body=body)
        history = client.sessions.get_messages("session_id_value")
    assert result.message == "Revenue grew 12% [1]."
    assert [m.role for m in history] == ["user", "assistant", "tool"]
    assert [r.path for r in recording_server.requests] == [
        "/v2/sessions/session_id_value/chat",
        "/v2/sessions/session_id_value/messages",
    ]


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_each_status_raises_its_error_class(
    recording_server: RecordingServer, status: int, error_class: type[APIStatusError]
) -> None:
    detail = {"detail": f"nope {status}"}
    recording_server.respond(status, detail, **{"x-request-id": "req_42"})
    with _client(recording_server, max_retries=0) as client, pytest.raises(error_class) as caught:
        client.sessions.get_session(session_id="s_1")
    error = caught.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.body == detail
    assert error.request_id == "req_42"
    assert f"nope {status}" in str(error)
    assert "GET http://127.0.0.1" in str(error)
    assert KEY not in str(error)
    assert KEY not in "".join(traceback.format_exception(error))


def test_validation_error_details_are_readable(recording_server: RecordingServer) -> None:
    detail = [
        {"loc": ["body", "user_message"], "msg": "Field required", "type": "missing"},
        {"loc": ["path", "session_id"], "msg": "too long", "type": "string_too_long"},
    ]
    recording_server.respond(422, {"detail": detail})
    with _client(recording_server) as client, pytest.raises(UnprocessableEntityError) as caught:
        client.sessions.send_chat_message(session_id="s", body=ChatMessageRequest(user_message=""))
    message = str(caught.value)
    assert "body.user_message: Field required" in message
    assert "path.session_id: too long" in message
    assert caught.value.errors == detail


def test_non_json_error_body_is_kept_as_text(recording_server: RecordingServer) -> None:
    recording_server.respond(502, b"<html>Bad gateway</html>", **{"Content-Type": "text/html"})
    with (
        _client(recording_server, max_retries=0) as client,
        pytest.raises(InternalServerError) as e,
    ):
        client.datasources.list_datasources()
    assert e.value.body == "<html>Bad gateway</html>"


def test_a_2xx_that_does_not_match_the_spec_raises_instead_of_returning_none(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, {"unexpected": True})
    with _client(recording_server) as client, pytest.raises(meibel.APIResponseValidationError) as e:
        client.agents.create_session(agent_id="a")
    assert "session_id" in str(e.value)


# -- retries --------------------------------------------------------------------------------------


def test_retry_after_seconds_is_honoured(recording_server: RecordingServer) -> None:
    recording_server.respond(429, {"detail": "slow down"}, **{"Retry-After": "1"})
    recording_server.respond(200, {"session_id": "s_1"})
    started = time.monotonic()
    with _client(recording_server) as client:
        session = client.agents.create_session(agent_id="a")
    elapsed = time.monotonic() - started
    assert session.id == "s_1"
    assert elapsed >= 1.0
    assert len(recording_server.requests) == 2, "a 429 with Retry-After is retried even for POST"


def test_retry_after_http_date_is_parsed() -> None:
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    delay = retry_after_seconds(httpx2.Headers({"Retry-After": later}), now=now.timestamp())
    assert delay == pytest.approx(7.0)
    assert retry_after_seconds(httpx2.Headers({"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(httpx2.Headers({"Retry-After": "soon"})) is None


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=4.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (5, 4.0)]:
        delay = policy.backoff(attempt)
        assert 0.75 * ceiling <= delay <= ceiling


def test_server_errors_on_get_are_retried_up_to_max_retries(
    recording_server: RecordingServer,
) -> None:
    for _ in range(3):
        recording_server.respond(503, {"detail": "busy"})
    with _client(recording_server) as client:
        client._retry = RetryPolicy(max_retries=2, initial_delay=0.01)
        with pytest.raises(InternalServerError):
            client.sessions.get_session(session_id="s")
    assert len(recording_server.requests) == 3


def test_max_retries_per_call_with_options(recording_server: RecordingServer) -> None:
    recording_server.respond(503, {"detail": "busy"})
    with _client(recording_server) as client, pytest.raises(InternalServerError):
        client.with_options(max_retries=0).sessions.get_session(session_id="s")
    assert len(recording_server.requests) == 1


def test_server_error_on_post_is_not_retried(recording_server: RecordingServer) -> None:
    recording_server.respond(500, {"detail": "boom"})
    with _client(recording_server) as client, pytest.raises(InternalServerError):
        client.sessions.send_chat_message(session_id="s", body=ChatMessageRequest(user_message="x"))
    assert len(recording_server.requests) == 1


def test_post_is_not_retried_after_the_connection_dropped() -> None:
    with DroppingServer() as server:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2", max_retries=3)
        with pytest.raises(APIConnectionError) as caught:
            client.sessions.send_chat_message(
                session_id="s", body=ChatMessageRequest(user_message="x")
            )
        client.close()
        assert len(server.requests) == 1, "the request reached the server: never sent twice"
        assert server.requests[0].endswith(b'{"user_message":"x"}')
    assert KEY not in str(caught.value)


def test_get_is_retried_after_the_connection_dropped() -> None:
    with DroppingServer() as server:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2", max_retries=2)
        client._retry = RetryPolicy(max_retries=2, initial_delay=0.01)
        with pytest.raises(APIConnectionError):
            client.sessions.get_session(session_id="s")
        client.close()
        assert len(server.requests) == 3


def test_connection_refused_is_retried_and_raises_a_connection_error() -> None:
    client = MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    client._retry = RetryPolicy(max_retries=1, initial_delay=0.01)
    with pytest.raises(APIConnectionError) as caught:
        client.sessions.send_chat_message(session_id="s", body=ChatMessageRequest(user_message="x"))
    assert "POST http://127.0.0.1:9/v2/sessions/s/chat" in str(caught.value)
    client.close()


def test_timeouts_raise_api_timeout_error(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"session_id": "s"}, delay=1.0)
    client = _client(recording_server, timeout=0.2, max_retries=0)
    with client, pytest.raises(APITimeoutError):
        client.agents.create_session(agent_id="a")
    assert issubclass(APITimeoutError, APIConnectionError)


# -- redirects and the key -------------------------------------------------------------------------


def test_redirect_to_another_origin_is_followed_without_the_key(
    recording_server: RecordingServer,
) -> None:
    with RecordingServer() as elsewhere:
        elsewhere.respond(200, SESSION_DETAILS)
        target = f"{elsewhere.url}/v2/sessions/s_1"
        recording_server.respond(307, b"", Location=target)
        with _client(recording_server) as client:
            details = client.sessions.get_session(session_id="s_1")
        assert details.agent_id == "agent_123"
        assert recording_server.requests[0].headers["Meibel-API-Key"] == KEY
        [followed] = elsewhere.requests
        assert followed.headers.get("Meibel-API-Key") is None
        assert KEY.encode() not in followed.body


def test_redirect_within_the_api_origin_keeps_the_key(recording_server: RecordingServer) -> None:
    recording_server.respond(308, b"", Location="/v2/sessions/moved")
    recording_server.respond(200, SESSION_DETAILS)
    with _client(recording_server) as client:
        client.sessions.get_session(session_id="s_1")
    assert [r.path for r in recording_server.requests] == ["/v2/sessions/s_1", "/v2/sessions/moved"]
    assert recording_server.requests[1].headers["Meibel-API-Key"] == KEY


def test_debug_log_shows_requests_but_never_the_key(
    recording_server: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="meibel")
    recording_server.respond(503, {"detail": "busy"})
    recording_server.respond(200, SESSION_DETAILS)
    with _client(recording_server) as client:
        client._retry = RetryPolicy(initial_delay=0.01)
        client.sessions.get_session(session_id="s_1")
    lines = [record.getMessage() for record in caplog.records if record.name == "meibel"]
    assert any("GET http://127.0.0.1" in line and "-> 503" in line for line in lines)
    assert any("-> 200" in line and "retries: 1" in line for line in lines)
    assert all(KEY not in line for line in lines)


def test_meibel_log_environment_variable_prints_redacted_debug_lines(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, SESSION_DETAILS)
    script = (
        "import logging\n"
        "from meibel import MeibelClient\n"
        f"c = MeibelClient(api_key={KEY!r}, base_url={recording_server.url + '/v2'!r})\n"
        "c.sessions.get_session(session_id='s_1')\n"
        f"logging.getLogger('meibel').debug('header Meibel-API-Key: {KEY}')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "MEIBEL_LOG": "debug"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "GET http://127.0.0.1" in result.stderr
    assert "-> 200" in result.stderr
    assert "Meibel-API-Key: ***" in result.stderr
    assert KEY not in result.stderr


# -- forward compatibility -------------------------------------------------------------------------


def test_unknown_fields_are_kept_and_unknown_enum_values_parse(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(
        200,
        {"datasource_id": "d", "status": "paused_by_admin", "new_field": [1]},
    )
    with _client(recording_server) as client:
        status = client.ingest.get_ingest_status(datasource_id="d")
    assert status.status == "paused_by_admin"
    assert isinstance(status.status, IngestStatus)
    assert IngestStatus("running") is IngestStatus.RUNNING
    assert status.additional_properties["new_field"] == [1]


# -- pagination -----------------------------------------------------------------------------------


def _agents_page(offset: int, total: int, count: int) -> dict[str, Any]:
    agents = [
        {
            "id": f"a{offset + i}",
            "name": f"agent-{offset + i}",
            "display_name": f"Agent {offset + i}",
            "version": "1",
            "type": "chat",
            "llm_model": "m",
            "tool_count": 0,
            "datasource_count": 0,
        }
        for i in range(count)
    ]
    return {"data": agents, "total": total, "offset": offset, "limit": 2}


def test_offset_pagination_over_three_pages(recording_server: RecordingServer) -> None:
    for offset, count in [(0, 2), (2, 2), (4, 1)]:
        recording_server.respond(200, _agents_page(offset, 5, count))
    with _client(recording_server) as client:
        page = client.agents.list_agents(limit=2)
        assert len(recording_server.requests) == 1, "pages are fetched lazily"
        assert page.total == 5
        ids = [agent.id for agent in page]
    assert ids == ["a0", "a1", "a2", "a3", "a4"]
    assert [r.path for r in recording_server.requests] == [
        "/v2/agents?offset=0&limit=2&sort_by=created_at&sort_order=desc&published_only=false",
        "/v2/agents?offset=2&limit=2&sort_by=created_at&sort_order=desc&published_only=false",
        "/v2/agents?offset=4&limit=2&sort_by=created_at&sort_order=desc&published_only=false",
    ]


def _elements_page(cursor: str | None, ids: list[str]) -> dict[str, Any]:
    items = [{"id": i, "datasource_id": "d", "name": i} for i in ids]
    return {"items": items, "next_cursor": cursor, "has_next": cursor is not None}


@pytest.mark.anyio
async def test_async_cursor_pagination_over_three_pages(recording_server: RecordingServer) -> None:
    recording_server.respond(200, _elements_page("c1", ["e1", "e2"]))
    recording_server.respond(200, _elements_page("c2", ["e3"]))
    recording_server.respond(200, _elements_page(None, ["e4"]))
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        ids = [element.id async for element in client.data_elements.list_data_elements("d")]
        assert ids == ["e1", "e2", "e3", "e4"]
    paths = [r.path for r in recording_server.requests]
    assert paths == [
        "/v2/datasources/d/data-elements?limit=100",
        "/v2/datasources/d/data-elements?cursor=c1&limit=100",
        "/v2/datasources/d/data-elements?cursor=c2&limit=100",
    ]


@pytest.mark.anyio
async def test_async_offset_pages_and_awaited_first_page(recording_server: RecordingServer) -> None:
    for offset, count in [(0, 2), (2, 2), (4, 1)]:
        recording_server.respond(200, _agents_page(offset, 5, count))
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        page = await client.agents.list_agents(limit=2)
        assert [a.id for a in page.items] == ["a0", "a1"]
        pages = [[a.id for a in p.items] async for p in page.iter_pages()]
    assert pages == [["a0", "a1"], ["a2", "a3"], ["a4"]]


def test_sync_token_pagination(recording_server: RecordingServer) -> None:
    recording_server.respond(
        200, {"items": [{"name": "a", "path": "/a"}], "continuation_token": "t1"}
    )
    recording_server.respond(
        200, {"items": [{"name": "b", "path": "/b"}], "continuation_token": "t2"}
    )
    recording_server.respond(
        200, {"items": [{"name": "c", "path": "/c"}], "continuation_token": None}
    )
    with _client(recording_server) as client:
        keys = [item.name for item in client.file_upload.list_content("d")]
    assert keys == ["a", "b", "c"]
    assert "continuation_token=t2" in recording_server.requests[2].path


# -- async basics ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_client_errors_and_results(recording_server: RecordingServer) -> None:
    recording_server.respond(200, CHAT_RESPONSE)
    recording_server.respond(404, {"detail": "no such session"})
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        assert KEY not in repr(client)
        response = await client.sessions.send_chat_message(
            session_id="s", body=ChatMessageRequest(user_message="hi")
        )
        assert response.message == "Revenue grew 12% [1]."
        with pytest.raises(NotFoundError, match="no such session"):
            await client.sessions.get_session(session_id="missing")


def test_an_undocumented_2xx_is_parsed_as_the_documented_one(
    recording_server: RecordingServer,
) -> None:
    import gzip

    body = gzip.compress(json.dumps({"session_id": "s_9"}).encode())
    recording_server.respond(201, body, **{"Content-Encoding": "gzip"})
    with _client(recording_server) as client:
        assert client.agents.create_session(agent_id="a").id == "s_9"
