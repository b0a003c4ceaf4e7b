"""Redirects: followed by the client, the key kept within the API's origin, never sent to
another."""

from __future__ import annotations

import pytest
from answers import SESSION_DETAILS
from support import KEY, client_for
from wire import RecordingServer

from meibel import AsyncMeibelClient
from meibel._exceptions import APIConnectionError


def test_redirect_to_another_origin_is_followed_without_the_key(
    recording_server: RecordingServer,
) -> None:
    with RecordingServer() as elsewhere:
        elsewhere.respond(200, SESSION_DETAILS)
        target = f"{elsewhere.url}/v2/sessions/s_1"
        recording_server.respond(307, b"", Location=target)
        with client_for(recording_server) as client:
            details = client.sessions.get_session(session_id="s_1")
        assert details.agent_id == "agent_123"
        assert recording_server.requests[0].headers["Meibel-API-Key"] == KEY
        [followed] = elsewhere.requests
        assert followed.headers.get("Meibel-API-Key") is None
        assert KEY.encode() not in followed.body


def test_redirect_within_the_api_origin_keeps_the_key(recording_server: RecordingServer) -> None:
    recording_server.respond(308, b"", Location="/v2/sessions/moved")
    recording_server.respond(200, SESSION_DETAILS)
    with client_for(recording_server) as client:
        client.sessions.get_session(session_id="s_1")
    assert [r.target for r in recording_server.requests] == [
        "/v2/sessions/s_1",
        "/v2/sessions/moved",
    ]
    assert recording_server.requests[1].headers["Meibel-API-Key"] == KEY


def test_a_redirect_loop_stops_after_ten_with_an_error_naming_it(
    recording_server: RecordingServer,
) -> None:
    for _ in range(11):
        recording_server.respond(302, b"", Location="/v2/sessions/s_1")
    with client_for(recording_server) as client, pytest.raises(APIConnectionError) as caught:
        client.sessions.get_session(session_id="s_1")
    assert "more than 10 redirects" in str(caught.value)
    assert KEY not in str(caught.value)
    assert len(recording_server.requests) == 11  # the call and 10 redirects, then no more


@pytest.mark.anyio
async def test_a_redirect_loop_stops_on_the_async_client_too(
    recording_server: RecordingServer,
) -> None:
    for _ in range(11):
        recording_server.respond(302, b"", Location="/v2/sessions/s_1")
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        with pytest.raises(APIConnectionError, match="more than 10 redirects"):
            await client.sessions.get_session(session_id="s_1")
    assert len(recording_server.requests) == 11
