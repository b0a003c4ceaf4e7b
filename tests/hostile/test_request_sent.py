"""Whether the request was sent: APIConnectionError.request_sent and the words of its message,
for each way a connection fails, over real HTTP on 127.0.0.1, sync and async. True means the
whole request reached the connection (the server may have processed it), so a POST is not sent
again; False means it never was, or only in part."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import anyio
import pytest
from wire import (
    DroppingServer,
    LoopbackHandler,
    LoopbackServer,
    RecordingServer,
    parse_multipart,
)

from meibel import APIConnectionError, APITimeoutError, AsyncMeibelClient, MeibelClient

MODES = pytest.mark.parametrize("mode", ["sync", "async"])
NEVER = "; the request was never sent"
PARTLY = "; the request was not sent in full"
WHOLE = "; the request was sent in full, so the server may have processed it"


def _upload(mode: str, base_url: str, file: Any, **options: Any) -> APIConnectionError:
    """upload_content of `file` with a fresh client: the APIConnectionError it raises."""
    if mode == "sync":
        client = MeibelClient(api_key="k", base_url=base_url, **options)
        with client, pytest.raises(APIConnectionError) as caught:
            client.file_upload.upload_content("ds1", files=[file])
        return caught.value

    async def main() -> APIConnectionError:
        async with AsyncMeibelClient(api_key="k", base_url=base_url, **options) as client:
            with pytest.raises(APIConnectionError) as caught:
                await client.file_upload.upload_content("ds1", files=[file])
        return caught.value

    return anyio.run(main)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@MODES
def test_connection_refused_was_never_sent(mode: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v2"
    error = _upload(mode, url, ("a.txt", b"abc"), max_retries=0)
    assert error.request_sent is False
    assert str(error).endswith(NEVER)
    assert str(error).startswith(f"POST {url}/datasources/ds1/content: ")


class HalfReadingServer(LoopbackServer):
    """Reads the first 64 KiB of each request's body, then closes the connection."""

    def __init__(self) -> None:
        self.requests = 0
        server = self

        class Handler(LoopbackHandler):
            def do_POST(self) -> None:
                server.requests += 1
                self.rfile.read(64 * 1024)
                self.close_connection = True
                self.connection.close()

        super().__init__(Handler, name="HalfReadingServer")


@MODES
def test_a_body_cut_short_was_not_sent_in_full_and_is_not_sent_again(
    mode: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as file:
        file.truncate(32 * 1024 * 1024)  # more than the socket buffers hold
    with HalfReadingServer() as server:
        error = _upload(mode, f"{server.url}/v2", big, max_retries=3)
    assert error.request_sent is False
    assert str(error).endswith(PARTLY)
    assert server.requests == 1, "a POST broken mid-body is not sent again by the SDK"


@MODES
def test_a_request_read_whole_then_dropped_was_sent(mode: str) -> None:
    with DroppingServer() as server:
        error = _upload(mode, f"{server.url}/v2", ("a.txt", b"abc"), max_retries=3)
        (request,) = server.requests  # sent in full: never sent twice
        (part,) = parse_multipart(request.headers["Content-Type"], request.body)
        assert (part.filename, part.data) == ("a.txt", b"abc")
    assert error.request_sent is True
    assert str(error).endswith(WHOLE)
    assert not isinstance(error, APITimeoutError)


@MODES
def test_a_read_timeout_after_the_whole_request_was_sent(
    mode: str, recording_server: RecordingServer
) -> None:
    recording_server.respond(200, {}, delay=1.0)
    error = _upload(mode, f"{recording_server.url}/v2", ("a.txt", b"abc"), timeout=0.2)
    assert isinstance(error, APITimeoutError)
    assert error.request_sent is True
    assert str(error).endswith(WHOLE)
    assert len(recording_server.requests) == 1


@MODES
def test_an_idempotent_request_is_retried_and_its_last_attempt_reported(mode: str) -> None:
    with DroppingServer() as server:
        url = f"{server.url}/v2"
        if mode == "sync":
            with MeibelClient(api_key="k", base_url=url) as client:
                client._retry = client._retry.__class__(max_retries=2, initial_delay=0.01)
                with pytest.raises(APIConnectionError) as caught:
                    client.sessions.get_session(session_id="s1")
        else:

            async def main() -> Any:
                async with AsyncMeibelClient(api_key="k", base_url=url) as client:
                    client._retry = client._retry.__class__(max_retries=2, initial_delay=0.01)
                    with pytest.raises(APIConnectionError) as caught:
                        await client.sessions.get_session(session_id="s1")
                return caught

            caught = anyio.run(main)
        assert len(server.requests) == 3
    assert caught.value.request_sent is True
    assert "(after 3 attempts over " in str(caught.value)
    assert str(caught.value).endswith(WHOLE)


def test_the_deadline_error_says_it_too(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {}, delay=1.5)
    client = MeibelClient(api_key="k", base_url=f"{recording_server.url}/v2")
    with client, pytest.raises(APITimeoutError) as caught:
        client.sessions.get_session(session_id="s1", deadline=0.3)
    assert caught.value.request_sent is True
    assert "within the deadline of 0.3 s" in str(caught.value)
    assert str(caught.value).endswith(WHOLE)


def test_an_error_made_by_hand_assumes_the_worst() -> None:
    import httpx2

    error = APIConnectionError("x", request=httpx2.Request("POST", "http://h/"))
    assert error.request_sent is True, "unknown: the server may have processed it"
