"""Header names in any spelling: each goes on the wire once, the caller's value over the SDK's.

The order is the SDK's own (User-Agent, Accept, Meibel-API-Key) < `default_headers` < per-call
`extra_headers`. What frames the body (Content-Length, Content-Type, Transfer-Encoding) is the
SDK's alone, and what cannot go on the wire as given is refused before anything is sent. The
recording server joins a repeated header's values with ", ", so a value that reads as one was
sent once.
"""

from __future__ import annotations

from typing import Any

import pytest
from answers import SESSION_DETAILS
from wire import RecordingServer, iter_parts, parse_multipart

from meibel import AsyncMeibelClient, MeibelClient
from meibel._version import __version__

KEY = "sk-test-headers-1a2b"


def sync_client(server: RecordingServer, **options: Any) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2", max_retries=0, **options)


def async_client(server: RecordingServer, **options: Any) -> AsyncMeibelClient:
    return AsyncMeibelClient(api_key=KEY, base_url=server.url + "/v2", max_retries=0, **options)


def test_a_default_header_in_any_spelling_replaces_the_sdks_own(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, SESSION_DETAILS)
    defaults = {"meibel-api-key": "other-key", "USER-AGENT": "support-bot/2", "x-team": "a"}
    with sync_client(recording_server, default_headers=defaults) as client:
        client.sessions.get_session("s_1")
    [sent] = recording_server.requests
    assert sent.headers["Meibel-API-Key"] == "other-key"
    assert sent.headers["User-Agent"] == "support-bot/2"
    assert sent.headers["X-Team"] == "a"


def test_extra_headers_replace_default_headers_and_the_sdks_own(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, SESSION_DETAILS)
    recording_server.respond(200, SESSION_DETAILS)
    defaults = {"X-Team": "a", "Meibel-API-Key": "default-key"}
    with sync_client(recording_server, default_headers=defaults) as client:
        extra = {"x-TEAM": "b", "MEIBEL-API-KEY": "call-key", "user-agent": "x/1"}
        client.sessions.get_session("s_1", extra_headers=extra)
        client.sessions.get_session("s_2")  # the next call is back to the defaults
    first, second = recording_server.requests
    assert (first.headers["X-Team"], first.headers["Meibel-API-Key"]) == ("b", "call-key")
    assert first.headers["User-Agent"] == "x/1"
    assert (second.headers["X-Team"], second.headers["Meibel-API-Key"]) == ("a", "default-key")
    assert second.headers["User-Agent"] == f"meibel-sdk-python/{__version__}"


@pytest.mark.anyio
async def test_the_async_client_sends_each_header_once_too(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, SESSION_DETAILS)
    client = async_client(recording_server, default_headers={"meibel-api-key": "other"})
    async with client:
        await client.sessions.get_session("s_1", extra_headers={"X-TEAM": "c", "x-team": "d"})
    [sent] = recording_server.requests
    assert sent.headers["Meibel-API-Key"] == "other"
    assert sent.headers["X-Team"] == "d"  # the last spelling given wins


def test_the_key_is_sent_once_when_no_header_names_it(recording_server: RecordingServer) -> None:
    recording_server.respond(200, SESSION_DETAILS)
    with sync_client(recording_server, default_headers={"X-Team": "a"}) as client:
        client.sessions.get_session("s_1")
    assert recording_server.requests[0].headers["Meibel-API-Key"] == KEY


def test_a_stream_accepts_what_the_caller_says_and_keeps_its_multipart_framing(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream([b'data: {"type": "connected"}\n\n'])
    with (
        sync_client(recording_server, default_headers={"accept": "text/plain"}) as client,
        client.sessions.send_chat_message_stream(
            "s_1", files=[("a.txt", b"hello")], extra_headers={"ACCEPT": "text/event-stream"}
        ),
    ):
        pass
    [sent] = recording_server.requests
    assert sent.headers["Accept"] == "text/event-stream"
    content_type = sent.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    [part] = iter_parts(parse_multipart(content_type, sent.body), "files")
    assert (part.filename, part.data) == ("a.txt", b"hello")


@pytest.mark.parametrize("name", ["Content-Type", "content-length", "TRANSFER-ENCODING"])
def test_headers_that_frame_the_body_are_refused_naming_them(
    name: str, recording_server: RecordingServer
) -> None:
    with pytest.raises(ValueError, match=f"default_headers may not set '{name}'"):
        sync_client(recording_server, default_headers={name: "text/plain"})
    with pytest.raises(ValueError, match=f"default_headers may not set '{name}'"):
        sync_client(recording_server).with_options(default_headers={name: "text/plain"})
    with sync_client(recording_server) as client:
        with pytest.raises(ValueError, match=f"extra_headers may not set '{name}'") as error:
            client.datasources.create_datasource(name="docs", extra_headers={name: "5"})
        assert "the SDK writes Content-Length, Content-Type and Transfer-Encoding" in str(
            error.value
        )
    assert recording_server.requests == []


@pytest.mark.anyio
async def test_the_async_client_refuses_them_before_sending(
    recording_server: RecordingServer,
) -> None:
    async with async_client(recording_server) as client:
        with pytest.raises(ValueError, match="extra_headers may not set 'content-length'"):
            await client.sessions.get_session("s_1", extra_headers={"content-length": "5"})
        with pytest.raises(ValueError, match="'X-Trace' cannot be sent"):
            await client.sessions.get_session("s_1", extra_headers={"X-Trace": "a\r\nb: c"})
    assert recording_server.requests == []


@pytest.mark.parametrize(
    ("headers", "error", "message"),
    [
        ({"X-Trace": "t\r\nInjected: yes"}, ValueError, "the value of 'X-Trace' cannot be sent"),
        ({"X-Trace": "t\n"}, ValueError, "the value of 'X-Trace' cannot be sent"),
        ({"X-Trace": " padded"}, ValueError, "the value of 'X-Trace' cannot be sent"),
        ({"X-Trace": "caf\u00e9"}, ValueError, "the value of 'X-Trace' cannot be sent"),
        ({"X Trace": "t"}, ValueError, "'X Trace' is not a valid header name"),
        ({"X-Trace:": "t"}, ValueError, "'X-Trace:' is not a valid header name"),
        ({"X-Retries": 3}, TypeError, "the value of 'X-Retries' must be a str, not int"),
        ([("X-Trace", "t")], TypeError, "must be a mapping of header names to values"),
    ],
)
def test_headers_that_cannot_go_on_the_wire_as_given_are_refused(
    headers: Any, error: type[Exception], message: str, recording_server: RecordingServer
) -> None:
    with pytest.raises(error, match=f"^default_headers.*{message}"):
        sync_client(recording_server, default_headers=headers)
    with (
        sync_client(recording_server) as client,
        pytest.raises(error, match=f"^extra_headers.*{message}") as raised,
    ):
        client.sessions.get_session("s_1", extra_headers=headers)
    assert "Injected" not in str(raised.value)  # a value may be a secret: never shown
    assert recording_server.requests == []


@pytest.mark.parametrize("key", ["sk-test\n", " sk-test", "sk-\x01test", "sk-t\u00e9st"])
def test_a_key_that_cannot_be_a_header_is_refused_without_showing_it(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="the API key given as api_key cannot be sent") as error:
        MeibelClient(api_key=key, base_url="http://127.0.0.1:9/v2")
    assert "strip it" in str(error.value)
    assert key.strip() not in str(error.value)
    monkeypatch.setenv("MEIBEL_API_KEY", key)
    with pytest.raises(ValueError, match="the API key given as MEIBEL_API_KEY cannot be sent"):
        AsyncMeibelClient(base_url="http://127.0.0.1:9/v2")


def test_a_redirect_elsewhere_carries_no_key_in_any_spelling(
    recording_server: RecordingServer,
) -> None:
    with RecordingServer() as elsewhere:
        elsewhere.respond(200, SESSION_DETAILS)
        elsewhere.respond(200, SESSION_DETAILS)
        for _ in range(2):
            recording_server.respond(307, b"", Location=f"{elsewhere.url}/v2/sessions/s_1")
        defaults = {"meibel-api-key": "default-key", "x-team": "a"}
        with sync_client(recording_server, default_headers=defaults) as client:
            client.sessions.get_session("s_1")
            client.sessions.get_session("s_1", extra_headers={"MEIBEL-API-KEY": "call-key"})
        sent = [request.headers["meibel-api-key"] for request in recording_server.requests]
        assert sent == ["default-key", "call-key"]
        for followed in elsewhere.requests:
            assert "meibel-api-key" not in followed.headers
            assert "x-team" not in followed.headers
