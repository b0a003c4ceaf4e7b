"""Redirects: followed by the client, the key kept within the API's origin, never sent to
another."""

from __future__ import annotations

from answers import SESSION_DETAILS
from support import KEY, client_for
from wire import RecordingServer


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
