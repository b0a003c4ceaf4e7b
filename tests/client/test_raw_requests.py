"""client.get/post/put/patch/delete: calls the spec has no method for, sent the way the client
sends its own (key, headers, retries, deadline, errors, event streams), sync and async, over real
HTTP on 127.0.0.1 (FakeMeibel for the API's answers, the recording server for exact bytes)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx2
import pytest
from support import KEY, client_for
from wire import RecordingServer, sse

from meibel import (
    APIResponseValidationError,
    APITimeoutError,
    AsyncMeibelClient,
    EventTooLargeError,
    InternalServerError,
    MeibelClient,
    NotFoundError,
)
from meibel.models import CreateDatasourceRequest, DatasourceResponse
from meibel.testing import FakeMeibel


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    with FakeMeibel().serve() as base_url:
        yield base_url


def call(mode: str, base_url: str, use: Callable[[Any], Any], **options: Any) -> Any:
    """`use(client)` with a MeibelClient or (awaited) an AsyncMeibelClient on `base_url`."""
    if mode == "sync":
        with MeibelClient(api_key=KEY, base_url=base_url, **options) as client:
            return use(client)

    async def main() -> Any:
        async with AsyncMeibelClient(api_key=KEY, base_url=base_url, **options) as client:
            result = use(client)
            return await result if isinstance(result, Awaitable) else result

    return anyio.run(main)


def test_get_returns_the_parsed_json(mode: str, fake_url: str) -> None:
    agents = call(mode, fake_url, lambda client: client.get("/agents", params={"limit": 1}))
    assert isinstance(agents, dict)
    assert agents["limit"] == 1
    assert agents["data"][0]["id"] == "agent_123"


def test_post_sends_a_dict_or_a_model_and_casts_to_a_model(mode: str, fake_url: str) -> None:
    created = call(
        mode,
        fake_url,
        lambda client: client.post("/datasources", body={"name": "Q4"}, cast_to=DatasourceResponse),
    )
    assert isinstance(created, DatasourceResponse)
    assert created.name == "Q4"
    again = call(
        mode,
        fake_url,
        lambda client: client.post("/datasources", body=CreateDatasourceRequest(name="Q5")),
    )
    assert again["name"] == "Q5"
    fetched = call(
        mode,
        fake_url,
        lambda client: client.get(f"/datasources/{again['id']}", cast_to=DatasourceResponse),
    )
    assert fetched.id == again["id"]


def test_a_204_answer_is_none(mode: str) -> None:
    fake = FakeMeibel()
    with fake.serve() as base_url:
        assert call(mode, base_url, lambda client: client.delete("/agents/agent_123")) is None
        assert fake.requests[-1].method == "DELETE"


def test_a_404_raises_not_found_with_the_server_detail(mode: str, fake_url: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        call(mode, fake_url, lambda client: client.get("/agents/no-such-agent"))
    assert caught.value.status_code == 404
    assert "no-such-agent" in str(caught.value)
    assert KEY not in str(caught.value)


def _chat(client: Any) -> Any:
    """Open a session, then read its streamed reply through the escape hatch."""
    if isinstance(client, MeibelClient):
        session = client.post("/agents/agent_123/sessions")
        path = f"/sessions/{session['session_id']}/chat/stream"
        with client.post(path, body={"user_message": "hi"}, stream=True) as stream:
            events = [(event.type, event.data) for event in stream]
        return events, stream.response.is_closed

    async def main() -> Any:
        session = await client.post("/agents/agent_123/sessions")
        path = f"/sessions/{session['session_id']}/chat/stream"
        async with await client.post(path, body={"user_message": "hi"}, stream=True) as stream:
            events = [(event.type, event.data) async for event in stream]
        return events, stream.response.is_closed

    return main()


def test_stream_true_yields_the_server_events_and_closes(mode: str, fake_url: str) -> None:
    events, closed = call(mode, fake_url, _chat)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "connected"
    assert "completion" in kinds
    text = "".join(data["data"]["message"] for kind, data in events if kind == "partial_response")
    completion = next(data for kind, data in events if kind == "completion")
    assert text == completion["data"]["message"]
    assert closed


def test_a_stream_is_bounded_by_max_event_size(server: RecordingServer) -> None:
    server.stream([b"data: ", *[b"x" * 512] * 64])  # a line that never ends
    with client_for(server, max_event_size=1024) as client:
        stream = client.get("/progress", stream=True)
        with pytest.raises(EventTooLargeError):
            list(stream)
        assert stream.response.is_closed


def test_what_is_sent_key_headers_query_and_body(server: RecordingServer) -> None:
    with client_for(server, default_headers={"X-Team": "docs"}) as client:
        client.put(
            "/things/t 1?fixed=yes",
            body={"tags": ["a"], "model": CreateDatasourceRequest(name="n")},
            params={"limit": 5, "offset": None, "fixed": "no", "ids": ["a", "b"]},
            headers={"X-Trace": "42"},
        )
        client.patch("/things/t1")
    put, patch = server.requests
    assert put.method == "PUT"
    assert put.target == "/v2/things/t%201?fixed=no&limit=5&ids=a&ids=b"
    assert put.headers["Meibel-API-Key"] == KEY
    assert put.headers["X-Team"] == "docs"
    assert put.headers["X-Trace"] == "42"
    assert put.headers["Content-Type"] == "application/json"
    assert json.loads(put.body) == {"tags": ["a"], "model": {"name": "n"}}
    assert (patch.method, patch.target, patch.body) == ("PATCH", "/v2/things/t1", b"")


def test_cast_to_bytes_str_and_response(server: RecordingServer) -> None:
    with client_for(server) as client:
        server.respond(200, b"plain text", **{"Content-Type": "text/plain"})
        assert client.get("/a", cast_to=bytes) == b"plain text"
        server.respond(200, b"plain text", **{"Content-Type": "text/plain"})
        assert client.get("/a", cast_to=str) == "plain text"
        server.respond(201, {"ok": True}, **{"X-Extra": "1"})
        response = client.get("/a", cast_to=httpx2.Response)
        assert (response.status_code, response.headers["X-Extra"]) == (201, "1")
        assert response.json() == {"ok": True}
        server.respond(200, b"plain text", **{"Content-Type": "text/plain"})
        with pytest.raises(APIResponseValidationError, match="cast_to=str"):
            client.get("/a")
        server.respond(200, {"unexpected": 1})
        with pytest.raises(APIResponseValidationError, match="DatasourceResponse"):
            client.get("/a", cast_to=DatasourceResponse)


def test_retries_follow_the_client_policy(server: RecordingServer) -> None:
    with client_for(server, max_retries=2) as client:
        server.respond(503, {"detail": "busy"})
        server.respond(200, {"ok": True})
        assert client.get("/batch-definitions") == {"ok": True}
        assert [request.method for request in server.requests] == ["GET", "GET"]
        server.reset()
        server.respond(502, {"detail": "bad gateway"})
        with pytest.raises(InternalServerError, match="bad gateway"):
            client.post("/batch-definitions", body={"name": "b"})
        assert len(server.requests) == 1, "a POST that may have been processed is not resent"
        server.reset()
        server.respond(429, {"detail": "slow"}, **{"Retry-After": "0"})
        server.respond(200, {"id": "b1"})
        assert client.post("/batch-definitions", body={"name": "b"}) == {"id": "b1"}
        assert [json.loads(request.body) for request in server.requests] == [{"name": "b"}] * 2


def test_the_key_never_goes_to_another_origin(server: RecordingServer) -> None:
    with RecordingServer() as other, client_for(server) as client:
        for path in (other.url + "/v2/agents", "//" + other.url.split("//")[1] + "/x"):
            with pytest.raises(ValueError, match="base URL"):
                client.get(path)
        assert other.requests == []
        assert client.get(server.url + "/v2/agents?limit=1") == {}
        assert server.requests[-1].target == "/v2/agents?limit=1"
        server.respond(307, b"", Location=other.url + "/elsewhere")
        client.get("/moved")
        assert other.requests[0].path == "/elsewhere"
        assert "Meibel-API-Key" not in other.requests[0].headers


@pytest.mark.parametrize(
    "path", ["/a/../b", "/a/%2E%2e/b", "..", "/a/./b", "/a\r\nX-Injected: 1", "/a\x00", "/a#b"]
)
def test_paths_that_leave_the_route_are_refused_before_sending(
    server: RecordingServer, path: str
) -> None:
    with client_for(server) as client, pytest.raises(ValueError, match="path"):
        client.get(path)
    assert server.requests == []


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"method": "BREW"}, ValueError),
        ({"cast_to": dict}, TypeError),
        ({"cast_to": DatasourceResponse, "stream": True}, TypeError),
        ({"body": "text"}, TypeError),
        ({"body": b"bytes"}, TypeError),
        ({"path": 42}, TypeError),
        ({"headers": {"X-Bad": "a\nb"}}, ValueError),
        ({"deadline": -1}, ValueError),
    ],
)
def test_wrong_arguments_are_refused_before_sending(
    server: RecordingServer, arguments: dict[str, Any], error: type[Exception]
) -> None:
    method = arguments.pop("method", "POST")
    path = arguments.pop("path", "/a")
    with client_for(server) as client, pytest.raises(error):
        client.request(method, path, **arguments)
    assert server.requests == []


def test_the_deadline_is_honoured(mode: str, server: RecordingServer) -> None:
    server.respond(200, {"late": True}, delay=3)
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="deadline"):
        call(mode, server.url + "/v2", lambda client: client.get("/slow", deadline=0.5))
    assert time.monotonic() - started < 2


def test_verbs_are_request_with_their_method(server: RecordingServer) -> None:
    with client_for(server) as client:
        for verb in ("get", "post", "put", "patch", "delete"):
            getattr(client, verb)(f"/{verb}")
    assert [(r.method, r.path) for r in server.requests] == [
        (verb.upper(), f"/v2/{verb}") for verb in ("get", "post", "put", "patch", "delete")
    ]
    assert MeibelClient.get.__name__ == "get"
    assert "request" in (AsyncMeibelClient.post.__doc__ or "")


def test_a_stream_through_the_hatch_reads_events_as_they_come(server: RecordingServer) -> None:
    server.stream([sse("progress", {"done": 1}), 0.2, sse("progress", {"done": 2})])
    with client_for(server) as client:
        stream = client.get("/batch-executions/id/e1/realtime-progress", stream=True)
        assert server.requests[0].headers["Accept"] == "text/event-stream"
        with stream:
            assert [event.data["done"] for event in stream] == [1, 2]
