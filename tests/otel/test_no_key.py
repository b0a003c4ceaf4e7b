"""The API key appears in no span, event, attribute, metric point or log line, even when the
server echoes it back; and when the caller puts it in a query string, the telemetry still hides
it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from answers import DATASOURCE
from chat_events import chat_events
from otel_support import KEY, Recorded, call
from wire import RecordingServer

from meibel import AuthenticationError, StreamInterruptedError


def test_the_api_key_is_nowhere_in_what_was_recorded_or_logged(
    recorded: Recorded, server: RecordingServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.respond(503, {"detail": "busy"}, **{"Retry-After": "0"})  # a retry
    server.respond(200, DATASOURCE)
    server.respond(401, {"detail": f"the key {KEY} is revoked"})  # a server that echoes it
    server.respond(200, {"ok": True})
    server.stream(chat_events()[:5], drop=True)  # a stream cut short

    def calls(client: Any) -> None:
        client.datasources.get_datasource("ds_1")
        with pytest.raises(AuthenticationError):
            client.datasources.get_datasource("ds_2")
        client.get("/beta/things")
        with pytest.raises(StreamInterruptedError):
            list(client.sessions.send_chat_message_stream(session_id="s"))

    async def acalls(client: Any) -> None:
        await client.datasources.get_datasource("ds_1")
        with pytest.raises(AuthenticationError):
            await client.datasources.get_datasource("ds_2")
        await client.get("/beta/things")
        with pytest.raises(StreamInterruptedError):
            async for _ in await client.sessions.send_chat_message_stream(session_id="s"):
                pass

    call(mode, server.url + "/v2", calls if mode == "sync" else acalls)

    spans = recorded.spans()
    assert len(spans) == 4
    assert sum(len(span.events) for span in spans) >= 4, "the retry and each error's event"
    assert "REDACTED" in recorded.everything(), "the echoed key was there to hide"
    assert KEY not in recorded.everything()
    assert caplog.records, "the SDK logged its attempts"
    assert KEY not in caplog.text


def test_a_key_put_in_a_query_string_is_redacted_from_the_telemetry(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.respond(401, {"detail": "no"})
    query = {"api_key": KEY, "note": f"a copy of {KEY}"}
    with pytest.raises(AuthenticationError) as caught:
        call(
            mode,
            server.url + "/v2",
            lambda client: client.datasources.get_datasource("ds_1", extra_query=query),
        )

    assert KEY in str(caught.value), "the error names the URL as sent"
    (span,) = recorded.spans()
    url = (span.attributes or {})["url.full"]
    assert "api_key=REDACTED" in str(url)
    assert KEY not in recorded.everything()
