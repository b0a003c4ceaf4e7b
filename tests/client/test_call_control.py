"""Per-call control over real HTTP on 127.0.0.1: raw responses, per-call options, retry messages,
and what a redirect to another origin may carry."""

from __future__ import annotations

import inspect
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from answers import DATASOURCE
from answers import SESSION_DETAILS as SESSION
from chat_events import FINAL, chat_events
from wire import RecordingServer

from meibel import (
    APITimeoutError,
    AsyncMeibelClient,
    InternalServerError,
    MeibelClient,
    NotFoundError,
    RawResponse,
)
from meibel._retry import RetryPolicy
from meibel._waiters import WAITERS
from meibel.models import ChatMessageRequest, CreateDatasourceRequest

KEY = "sk-call-control"
ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))
OPERATION_COUNT = sum(len(item) for item in SPEC["paths"].values())
UPLOADED = {
    "success": True,
    "message": "accepted",
    "datasource_id": "d",
    "upload_id": "u_1",
    "sse_url": "/v2/datasources/d/uploads/u_1/progress",
}


def _client(server: RecordingServer, **options: Any) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2", **options)


def _async_client(server: RecordingServer, **options: Any) -> AsyncMeibelClient:
    return AsyncMeibelClient(api_key=KEY, base_url=server.url + "/v2", **options)


def _fast_retries(client: MeibelClient | AsyncMeibelClient, retries: int = 2) -> None:
    client._retry = RetryPolicy(max_retries=retries, initial_delay=0.01)
    client.max_retries = retries


def _generated(method: Any) -> bool:
    """Whether `method` is one of the spec's operations: not a hand-written namespace helper, nor a
    waiter (printed into the namespace from meibel/_waiters.py's table, with its own options)."""
    if getattr(method, "__name__", None) in {waiter.method for waiter in WAITERS}:
        return False
    return str(getattr(method, "__module__", "")).startswith("meibel_api_v2.")


def _query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


# -- raw responses ----------------------------------------------------------------------------


def test_raw_response_gives_status_headers_request_id_and_parses(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(201, SESSION, **{"X-Request-ID": "req_42", "X-Extra": "yes"})
    recording_server.respond(200, SESSION)
    with _client(recording_server) as client:
        raw = client.sessions.with_raw_response.get_session(session_id="s_1")
        assert isinstance(raw, RawResponse)
        assert raw.status_code == 201
        assert raw.headers["x-extra"] == "yes"
        assert raw.request_id == "req_42"
        assert raw.http_response.request.url.path == "/v2/sessions/s_1"
        session = raw.parse()
        assert session.agent_id == "agent_123"
        assert raw.parse() is session, "parsed once"
        # A session-bound response parses to the same Session the plain method returns.
        assert type(session) is type(client.sessions.get_session(session_id="s_1"))


@pytest.mark.anyio
async def test_async_raw_response_parses_like_the_plain_method(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, DATASOURCE, **{"X-Request-ID": "req_7"})
    async with _async_client(recording_server) as client:
        raw = await client.datasources.with_raw_response.create_datasource(
            body=CreateDatasourceRequest(name="docs")
        )
        assert (raw.status_code, raw.request_id) == (200, "req_7")
        assert raw.parse().name == "docs"


def test_raw_response_of_a_paginated_method_parses_to_its_first_page(
    recording_server: RecordingServer,
) -> None:
    page = {"items": [{"id": "e1", "datasource_id": "d", "name": "e1"}], "next_cursor": "c1"}
    recording_server.respond(200, {**page, "has_next": True}, **{"X-Request-ID": "p1"})
    recording_server.respond(
        200, {"items": [{"id": "e2", "datasource_id": "d", "name": "e2"}], "has_next": False}
    )
    with _client(recording_server) as client:
        raw = client.data_elements.with_raw_response.list_data_elements("d")
        assert raw.request_id == "p1"
        assert len(recording_server.requests) == 1
        assert [element.id for element in raw.parse()] == ["e1", "e2"]


@pytest.mark.anyio
async def test_async_raw_response_of_a_paginated_method(recording_server: RecordingServer) -> None:
    recording_server.respond(
        200, {"items": [{"id": "e1", "datasource_id": "d", "name": "e1"}], "has_next": False}
    )
    async with _async_client(recording_server) as client:
        raw = await client.data_elements.with_raw_response.list_data_elements("d")
        assert raw.status_code == 200
        assert [element.id async for element in raw.parse()] == ["e1"]


def test_raw_response_of_a_chat_stream_has_headers_before_the_body(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream(chat_events())
    with _client(recording_server) as client:
        raw = client.sessions.with_raw_response.send_chat_message_stream(
            session_id="s_1", body=ChatMessageRequest(user_message="Q4?")
        )
        assert raw.status_code == 200
        assert raw.headers["content-type"].startswith("text/event-stream")
        with raw.parse() as stream:
            text = "".join(event.delta for event in stream if event.type == "content")
        assert text == FINAL


@pytest.mark.anyio
async def test_async_raw_response_of_a_chat_stream(recording_server: RecordingServer) -> None:
    recording_server.stream(chat_events())
    async with _async_client(recording_server) as client:
        raw = await client.sessions.with_raw_response.send_chat_message_stream(
            session_id="s_1", body=ChatMessageRequest(user_message="Q4?")
        )
        async with raw.parse() as stream:
            text = "".join([event.delta async for event in stream if event.type == "content"])
        assert text == FINAL


@pytest.mark.spec
def test_every_method_has_a_raw_response_twin_with_its_signature() -> None:
    client = MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    aclient = AsyncMeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    checked = 0
    for each in (client, aclient):
        for name in dir(type(each)):
            namespace = getattr(each, name, None)
            raw = getattr(namespace, "with_raw_response", None)
            if raw is None or name.startswith("_"):
                continue
            methods = [
                m for m in dir(namespace) if not m.startswith("_") and m != "with_raw_response"
            ]
            for method in methods:
                plain = getattr(namespace, method)
                if not callable(plain) or not _generated(plain):
                    continue  # a sub-namespace (the vendor's call shapes), or a waiter
                twin = getattr(raw, method)
                assert inspect.signature(twin) == inspect.signature(plain), (name, method)
                checked += 1
    assert checked >= 2 * OPERATION_COUNT


def test_raw_response_repr_never_shows_the_key(recording_server: RecordingServer) -> None:
    recording_server.respond(200, SESSION)
    with _client(recording_server) as client:
        raw = client.sessions.with_raw_response.get_session(session_id="s_1")
    assert KEY not in repr(raw)
    assert repr(raw).startswith("<RawResponse [200] GET http://127.0.0.1")


# -- per-call options -------------------------------------------------------------------------


@pytest.mark.spec
def test_every_method_takes_the_per_call_options_keyword_only() -> None:
    client = MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    seen = 0
    for name in dir(type(client)):
        namespace = getattr(client, name, None)
        if name.startswith("_") or getattr(namespace, "with_raw_response", None) is None:
            continue
        for method_name in dir(namespace):
            method = getattr(namespace, method_name)
            if method_name.startswith("_") or not inspect.ismethod(method):
                continue
            if not _generated(method):
                continue  # hand-written helpers (waiters, folder uploads) have their own options
            parameters = inspect.signature(method).parameters
            for option in ("timeout", "extra_headers", "extra_query"):
                assert parameters[option].kind is inspect.Parameter.KEYWORD_ONLY, method_name
            sends_json = "body" in parameters and "files" not in parameters
            sends_json = sends_json and "FormFields" not in str(parameters["body"].annotation)
            assert ("extra_body" in parameters) == sends_json, method_name
            seen += 1
    assert seen >= OPERATION_COUNT


def test_per_call_timeout_bounds_that_call_only(recording_server: RecordingServer) -> None:
    with _client(recording_server, max_retries=0) as client:
        recording_server.respond(200, SESSION, delay=1.5)
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.sessions.get_session(session_id="s_1", timeout=0.3)
        assert time.monotonic() - started < 1.0
        recording_server.respond(200, SESSION, delay=1.5)
        assert client.sessions.get_session(session_id="s_1").agent_id == "agent_123"


def test_per_call_timeout_on_a_post_is_not_retried(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"session_id": "s"}, delay=1.5)
    with _client(recording_server) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.agents.create_session(agent_id="a", timeout=httpx2.Timeout(0.3))
        assert time.monotonic() - started < 1.0


@pytest.mark.anyio
async def test_async_per_call_timeout(recording_server: RecordingServer) -> None:
    recording_server.respond(200, SESSION, delay=1.5)
    async with _async_client(recording_server, max_retries=0) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await client.sessions.get_session(session_id="s_1", timeout=0.3)
        assert time.monotonic() - started < 1.0


def test_extra_headers_and_query_reach_the_server_on_that_call_only(
    recording_server: RecordingServer,
) -> None:
    with _client(recording_server, default_headers={"X-Team": "a"}) as client:
        recording_server.respond(200, SESSION)
        client.sessions.get_session(
            session_id="s_1",
            extra_headers={"X-Trace": "t-1", "X-Team": "b"},
            extra_query={"debug": "1"},
        )
        recording_server.respond(200, SESSION)
        client.sessions.get_session(session_id="s_1")
    first, second = recording_server.requests
    assert (first.headers["X-Trace"], first.headers["X-Team"]) == ("t-1", "b")
    assert _query(first.target) == {"debug": ["1"]}
    assert first.headers["Meibel-API-Key"] == KEY
    assert second.headers.get("X-Trace") is None
    assert second.headers["X-Team"] == "a"
    assert _query(second.target) == {}


def test_extra_query_adds_to_the_operations_own_parameters(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, {"data": [], "total": 0, "offset": 0, "limit": 2})
    with _client(recording_server) as client:
        list(client.agents.list_agents(limit=2, extra_query={"tag": "x"}))
    query = _query(recording_server.requests[0].target)
    assert query["limit"] == ["2"]
    assert query["tag"] == ["x"]


def test_extra_body_merges_into_the_json_body(recording_server: RecordingServer) -> None:
    recording_server.respond(200, DATASOURCE)
    recording_server.respond(200, DATASOURCE)
    with _client(recording_server) as client:
        client.datasources.create_datasource(
            body=CreateDatasourceRequest(name="docs"), extra_body={"beta_flag": True}
        )
        client.datasources.create_datasource(body=CreateDatasourceRequest(name="docs"))
    first, second = (json.loads(r.body) for r in recording_server.requests)
    assert first == {**second, "beta_flag": True}
    assert second["name"] == "docs"
    assert "beta_flag" not in second


@pytest.mark.anyio
async def test_async_extra_headers(recording_server: RecordingServer) -> None:
    recording_server.respond(200, SESSION)
    async with _async_client(recording_server) as client:
        await client.sessions.get_session(session_id="s_1", extra_headers={"X-Trace": "t-2"})
    assert recording_server.requests[0].headers["X-Trace"] == "t-2"


def test_http_client_must_be_httpx2() -> None:
    class NotHttpx2Client:
        pass

    with pytest.raises(TypeError, match=r"httpx2\.Client"):
        MeibelClient(api_key=KEY, http_client=NotHttpx2Client())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"httpx2\.AsyncClient"):
        AsyncMeibelClient(api_key=KEY, http_client=httpx2.Client())  # type: ignore[arg-type]


# -- retries that explain themselves ----------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 501, 505])
def test_final_statuses_are_sent_once(recording_server: RecordingServer, status: int) -> None:
    for _ in range(3):
        recording_server.respond(status, {"detail": "no"})
    with _client(recording_server) as client:
        _fast_retries(client)
        with pytest.raises(Exception, match=f"-> {status}: no") as caught:
            client.sessions.get_session(session_id="s_1")
    assert len(recording_server.requests) == 1
    assert "attempts" not in str(caught.value)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(recording_server: RecordingServer, status: int) -> None:
    recording_server.respond(status, {"detail": "later"})
    recording_server.respond(200, SESSION)
    with _client(recording_server) as client:
        _fast_retries(client)
        client.sessions.get_session(session_id="s_1")
    assert len(recording_server.requests) == 2


def test_a_status_error_after_retries_says_how_hard_it_tried(
    recording_server: RecordingServer,
) -> None:
    for _ in range(3):
        recording_server.respond(503, {"detail": "busy"})
    with _client(recording_server) as client:
        _fast_retries(client)
        with pytest.raises(InternalServerError) as caught:
            client.sessions.get_session(session_id="s_1")
    message = str(caught.value)
    assert "-> 503: busy" in message
    assert "after 3 attempts over " in message
    assert message.endswith("max_retries=2)")


def test_a_timeout_after_retries_says_how_hard_it_tried(recording_server: RecordingServer) -> None:
    for _ in range(3):
        recording_server.respond(200, SESSION, delay=0.6)
    with _client(recording_server, timeout=0.2) as client:
        _fast_retries(client)
        with pytest.raises(APITimeoutError, match=r"timed out after 3 attempts over \d+\.\d s; "):
            client.sessions.get_session(session_id="s_1")


@pytest.mark.anyio
async def test_async_retry_message(recording_server: RecordingServer) -> None:
    recording_server.respond(404, {"detail": "gone"})
    for _ in range(2):
        recording_server.respond(502, {"detail": "bad gateway"})
    async with _async_client(recording_server) as client:
        _fast_retries(client, retries=1)
        with pytest.raises(NotFoundError):
            await client.sessions.get_session(session_id="s_1")
        with pytest.raises(InternalServerError, match=r"after 2 attempts .*max_retries=1"):
            await client.sessions.get_session(session_id="s_1")
    assert len(recording_server.requests) == 3


# -- redirects --------------------------------------------------------------------------------


def test_cross_origin_redirect_carries_no_configured_header(
    recording_server: RecordingServer,
) -> None:
    with RecordingServer() as elsewhere:
        elsewhere.respond(200, SESSION)
        recording_server.respond(307, b"", Location=f"{elsewhere.url}/v2/sessions/s_1")
        secrets = {"X-Custom-Key": "secret-1", "Authorization": "Bearer secret-2"}
        with _client(recording_server, default_headers=secrets) as client:
            client.sessions.get_session(session_id="s_1", extra_headers={"X-Per-Call": "secret-3"})
        [sent] = recording_server.requests
        assert sent.headers["X-Custom-Key"] == "secret-1"
        assert sent.headers["X-Per-Call"] == "secret-3"
        [followed] = elsewhere.requests
        for name in ("X-Custom-Key", "Authorization", "X-Per-Call", "Meibel-API-Key"):
            assert followed.headers.get(name) is None, name
        assert followed.headers["Host"] == urlsplit(elsewhere.url).netloc
        assert followed.headers["User-Agent"].startswith("meibel-sdk-python/")


def test_cross_origin_307_keeps_the_body_and_its_framing(
    recording_server: RecordingServer,
) -> None:
    with RecordingServer() as elsewhere:
        elsewhere.respond(200, DATASOURCE)
        recording_server.respond(307, b"", Location=f"{elsewhere.url}/v2/datasources")
        with _client(recording_server, default_headers={"X-Custom-Key": "s"}) as client:
            client.datasources.create_datasource(body=CreateDatasourceRequest(name="docs"))
        [followed] = elsewhere.requests
        assert json.loads(followed.body)["name"] == "docs"
        assert followed.headers["Content-Type"] == "application/json"
        assert followed.headers.get("X-Custom-Key") is None


def test_same_origin_redirect_keeps_configured_headers(recording_server: RecordingServer) -> None:
    recording_server.respond(308, b"", Location="/v2/sessions/moved")
    recording_server.respond(200, SESSION)
    with _client(recording_server, default_headers={"X-Custom-Key": "s"}) as client:
        client.sessions.get_session(session_id="s_1", extra_headers={"X-Per-Call": "p"})
    moved = recording_server.requests[1]
    assert (moved.headers["X-Custom-Key"], moved.headers["X-Per-Call"]) == ("s", "p")
    assert moved.headers["Meibel-API-Key"] == KEY


# -- deadlines ---------------------------------------------------------------------------------


def _trickle(server: RecordingServer, body: bytes, pause: float) -> None:
    """A server that sends `body` one byte per `pause` seconds."""
    chunks: list[bytes | float] = []
    for byte in body:
        chunks += [bytes([byte]), pause]
    server.stream(chunks, content_type="application/json")


def test_a_trickling_server_is_cut_off_at_the_deadline(recording_server: RecordingServer) -> None:
    _trickle(recording_server, json.dumps(SESSION).encode(), 1.0)
    with _client(recording_server, timeout=2.0) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"within the deadline of 2 s") as caught:
            client.sessions.get_session(session_id="s_1", deadline=2)
        elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 3.5
    assert isinstance(caught.value.__cause__, httpx2.TimeoutException)
    assert len(recording_server.requests) == 1, "a call out of time is not sent again"


def test_the_client_deadline_applies_to_every_call(recording_server: RecordingServer) -> None:
    _trickle(recording_server, json.dumps(SESSION).encode(), 0.5)
    with _client(recording_server, deadline=1.0) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="deadline of 1 s"):
            client.sessions.get_session(session_id="s_1")
        assert time.monotonic() - started < 2.5
        recording_server.respond(200, SESSION)
        assert client.sessions.get_session(session_id="s_1").agent_id == "agent_123"


@pytest.mark.anyio
async def test_async_deadline(recording_server: RecordingServer) -> None:
    _trickle(recording_server, json.dumps(SESSION).encode(), 0.5)
    async with _async_client(recording_server) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="deadline of 1 s"):
            await client.sessions.get_session(session_id="s_1", deadline=1)
        assert time.monotonic() - started < 2.5


def test_retries_stop_at_the_deadline(recording_server: RecordingServer) -> None:
    for _ in range(5):
        recording_server.respond(503, {"detail": "busy"}, **{"Retry-After": "1"})
    with _client(recording_server, max_retries=4) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"deadline of 1\.5 s \(after 2 attempts"):
            client.sessions.get_session(session_id="s_1", deadline=1.5)
        assert time.monotonic() - started < 1.4, "no sleep that the deadline cannot cover"
    assert len(recording_server.requests) == 2


def test_no_deadline_when_none(recording_server: RecordingServer) -> None:
    _trickle(recording_server, json.dumps(SESSION).encode(), 0.003)  # ~0.5 s in all
    with _client(recording_server, deadline=0.2) as client:
        details = client.sessions.get_session(session_id="s_1", deadline=None)
    assert details.agent_id == "agent_123"


def test_uploads_and_streams_have_no_default_deadline(
    recording_server: RecordingServer, tmp_path: Any
) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    recording_server.respond(200, UPLOADED, delay=0.8)
    recording_server.stream([*chat_events()[:3], 0.8, *chat_events()[3:]])
    with _client(recording_server, deadline=0.3) as client:
        assert client.file_upload.upload_content("d", files=[path]).datasource_id == "d"
        stream = client.sessions.send_chat_message_stream(
            session_id="s_1", body=ChatMessageRequest(user_message="hi")
        )
        with stream:
            assert stream.final_response().message == FINAL
