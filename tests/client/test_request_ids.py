"""Every error made from an answer carries the server's id for the request (`X-Request-ID`, or
`Request-ID`) when the server sent one: status errors, a 2xx that does not parse, and the errors
of a stream that failed after its 200; sync and async."""

from __future__ import annotations

import anyio
import pytest
from chat_events import _event, chat_events
from support import KEY, client_for
from wire import RecordingServer

from meibel import (
    APIResponseValidationError,
    AsyncMeibelClient,
    MalformedEventError,
    NotFoundError,
    StreamError,
    StreamEventError,
    StreamInterruptedError,
)


def test_a_status_error_names_the_request_id_under_either_header(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(404, {"detail": "gone"}, **{"Request-ID": "req_plain"})
    with client_for(recording_server) as client, pytest.raises(NotFoundError) as caught:
        client.sessions.get_session(session_id="s_1")
    assert caught.value.request_id == "req_plain"
    assert "(request id req_plain)" in str(caught.value)


def test_a_2xx_that_does_not_parse_carries_the_request_id(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, {"unexpected": True}, **{"x-request-id": "req_bad_body"})
    with client_for(recording_server) as client, pytest.raises(APIResponseValidationError) as e:
        client.agents.create_session(agent_id="a")
    assert e.value.request_id == "req_bad_body"


def test_an_answer_without_an_id_gives_none(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"unexpected": True})
    with client_for(recording_server) as client, pytest.raises(APIResponseValidationError) as e:
        client.agents.create_session(agent_id="a")
    assert e.value.request_id is None


_ID = {"x-request-id": "req_stream"}


def _dropped(server: RecordingServer) -> None:
    server.stream(chat_events()[:5], drop=True, **_ID)


def _error_event(server: RecordingServer) -> None:
    error = {"error": {"status_code": 503, "message": "model overloaded"}}
    server.stream([*chat_events()[:3], _event("error", error)], **_ID)


def _malformed_chat_event(server: RecordingServer) -> None:
    server.stream([_event("partial_response", {"data": {"no_message": 1}})], **_ID)


@pytest.mark.parametrize(
    ("script", "error_class"),
    [
        (_dropped, StreamInterruptedError),
        (_error_event, StreamEventError),
        (_malformed_chat_event, MalformedEventError),
    ],
    ids=["dropped", "error-event", "malformed"],
)
def test_a_stream_error_carries_the_request_id(
    recording_server: RecordingServer, mode: str, script: object, error_class: type[StreamError]
) -> None:
    script(recording_server)  # type: ignore[operator]
    if mode == "sync":
        with client_for(recording_server) as client, pytest.raises(error_class) as caught:
            list(client.sessions.send_chat_message_stream(session_id="s"))
    else:

        async def main() -> None:
            url = recording_server.url + "/v2"
            async with AsyncMeibelClient(api_key=KEY, base_url=url) as client:
                stream = await client.sessions.send_chat_message_stream(session_id="s")
                async for _ in stream:
                    pass

        with pytest.raises(error_class) as caught:
            anyio.run(main)
    assert caught.value.request_id == "req_stream"
