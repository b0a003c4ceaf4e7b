"""Error answers: each status its exception class, details readable, bodies kept, the key never
shown; sync and async."""

from __future__ import annotations

import traceback

import pytest
from answers import CHAT_RESPONSE
from support import KEY, client_for
from wire import RecordingServer

from meibel import (
    APIStatusError,
    AsyncMeibelClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from meibel.models import ChatMessageRequest


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
    with (
        client_for(recording_server, max_retries=0) as client,
        pytest.raises(error_class) as caught,
    ):
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
    with client_for(recording_server) as client, pytest.raises(UnprocessableEntityError) as caught:
        client.sessions.send_chat_message(session_id="s", body=ChatMessageRequest(user_message=""))
    message = str(caught.value)
    assert "body.user_message: Field required" in message
    assert "path.session_id: too long" in message
    assert caught.value.errors == detail


def test_non_json_error_body_is_kept_as_text(recording_server: RecordingServer) -> None:
    recording_server.respond(502, b"<html>Bad gateway</html>", **{"Content-Type": "text/html"})
    with (
        client_for(recording_server, max_retries=0) as client,
        pytest.raises(InternalServerError) as e,
    ):
        client.datasources.list_datasources()
    assert e.value.body == "<html>Bad gateway</html>"


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
