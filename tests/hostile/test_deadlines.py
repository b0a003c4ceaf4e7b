"""A call, stream or download given `deadline=` ends by it, whatever the server sends (#19, row 3).

Against real HTTP on 127.0.0.1 (tests/wire.py; hypercorn over TLS for HTTP/2 and HTTP/1.1 over
TLS), sync and async. Each server keeps going well past the deadline: keep-alive comments, bytes
that never end a line, events, a body that trickles, nothing at all. The bound asserted is the
deadline plus 1 s; the cases that end late without the watchdog (or cancel scope) end 1.8 s late.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from wire import RecordingServer, every, sse

from meibel import (
    APITimeoutError,
    AsyncMeibelClient,
    MeibelClient,
    StreamDeadlineError,
    StreamInterruptedError,
)
from meibel.models import ChatMessageRequest

KEY = "sk-stream-deadlines"
DEADLINE = 2.0
BOUND = DEADLINE + 1.0
KEEP_ALIVE = b": keep-alive\n\n"


def _partial(message: str) -> bytes:
    envelope = {
        "type": "partial_response",
        "disposition": "partial",
        "sequence": "1",
        "timestamp": "2026-11-22T10:00:00Z",
        "data": {"message": message, "clean_message": message},
    }
    return sse("partial_response", envelope)


# What a server may send after its 200, each for 8 s (five times the deadline).
BEHAVIOURS: dict[str, list[bytes | float]] = {
    "keep-alive comments": every(KEEP_ALIVE, 0.1, 8.0),
    "bytes without a newline": [b"data: {", *every(b"x", 0.1, 8.0)],
    "events without an end": every(sse("progress", {"progress": 1}), 0.1, 8.0),
    "nothing": [8.0],
    # The read timeout httpcore2 fixes when the body starts is the deadline's whole length;
    # after 1.8 s of keep-alives, a read that waited that long would end 1.8 s late.
    "keep-alives, then nothing": [*every(KEEP_ALIVE, 0.1, 1.8), 8.0],
}
_behaviours = pytest.mark.parametrize("chunks", BEHAVIOURS.values(), ids=list(BEHAVIOURS))


def _run(
    mode: str, server: RecordingServer | str, use: Callable[[Any], Any], **settings: Any
) -> Any:
    """`use(client)` on a MeibelClient of `server` (or a base URL), or awaited on an async one."""
    base_url = server if isinstance(server, str) else server.url + "/v2"
    options = {"api_key": KEY, "base_url": base_url, **settings}
    if mode == "sync":
        with MeibelClient(**options) as client:
            return use(client)

    async def run() -> Any:
        async with AsyncMeibelClient(**options) as client:
            return await use(client)

    return anyio.run(run)


def _read_progress(mode: str, client: Any, deadline: float) -> Any:
    """Open the upload-progress stream with `deadline` and read all of it."""
    if mode == "sync":
        with client.file_upload.stream_upload_progress("up_1", deadline=deadline) as stream:
            return [event.type for event in stream]

    async def read() -> list[str]:
        stream = await client.file_upload.stream_upload_progress("up_1", deadline=deadline)
        async with stream:
            return [event.type async for event in stream]

    return read()


@_behaviours
def test_an_event_stream_ends_at_its_deadline(
    chunks: list[bytes | float], mode: str, server: RecordingServer
) -> None:
    server.stream(chunks)
    started = time.monotonic()

    with pytest.raises(StreamDeadlineError) as caught:
        _run(mode, server, lambda client: _read_progress(mode, client, DEADLINE))

    assert DEADLINE - 0.05 <= time.monotonic() - started <= BOUND
    assert caught.value.deadline == DEADLINE
    assert "deadline of 2 s passed" in str(caught.value)
    assert isinstance(caught.value, StreamInterruptedError)  # the handlers of an early end apply


def _chat(mode: str, client: Any, deadline: float) -> Any:
    request = ChatMessageRequest(user_message="Summarise Q4")
    if mode == "sync":
        stream = client.sessions.send_chat_message_stream(
            session_id="s_1", body=request, deadline=deadline
        )
        with stream:
            return [event.delta for event in stream if event.type == "content"]

    async def read() -> list[str]:
        stream = await client.sessions.send_chat_message_stream(
            session_id="s_1", body=request, deadline=deadline
        )
        async with stream:
            return [event.delta async for event in stream if event.type == "content"]

    return read()


def test_a_chat_stream_ends_at_its_deadline_with_the_text_so_far(
    mode: str, server: RecordingServer
) -> None:
    rest = BEHAVIOURS["keep-alives, then nothing"]
    server.stream([sse("connected", {"signal_id": "sig_1"}), _partial("Revenue grew"), *rest])
    started = time.monotonic()

    with pytest.raises(StreamDeadlineError) as caught:
        _run(mode, server, lambda client: _chat(mode, client, DEADLINE))

    assert time.monotonic() - started <= BOUND
    assert caught.value.text == "Revenue grew"
    assert caught.value.deadline == DEADLINE


def test_a_session_streams_with_its_deadline_too(mode: str, server: RecordingServer) -> None:
    server.respond(200, {"session_id": "s_1", "agent_id": "agent_1"})
    server.stream(
        [sse("connected", {"signal_id": "sig_1"}), _partial("Q4"), *every(KEEP_ALIVE, 0.1, 8.0)]
    )

    def use(client: Any) -> Any:
        if mode == "sync":
            session = client.agents.create_session("agent_1")
            with session.stream("Summarise Q4", deadline=DEADLINE) as stream:
                return list(stream)

        async def read() -> Any:
            session = await client.agents.create_session("agent_1")
            async with await session.stream("Summarise Q4", deadline=DEADLINE) as stream:
                return [event async for event in stream]

        return read()

    started = time.monotonic()
    with pytest.raises(StreamDeadlineError) as caught:
        _run(mode, server, use)
    assert time.monotonic() - started <= BOUND + 0.5  # and the session's creation
    assert caught.value.text == "Q4"
    assert b"Summarise Q4" in server.requests[1].body


def test_a_stream_read_late_ends_at_its_deadline_not_a_read_timeout_later(
    mode: str, server: RecordingServer
) -> None:
    # The caller opens the stream and starts reading 1.8 s later: the first read would wait
    # the whole read timeout fixed at send time (the deadline's length) from then on.
    server.stream([sse("connected", {}), 8.0])

    def use(client: Any) -> Any:
        if mode == "sync":
            stream = client.file_upload.stream_upload_progress("up_1", deadline=DEADLINE)
            time.sleep(1.8)
            with stream:
                return list(stream)

        async def read() -> Any:
            stream = await client.file_upload.stream_upload_progress("up_1", deadline=DEADLINE)
            await anyio.sleep(1.8)
            async with stream:
                return [event async for event in stream]

        return read()

    started = time.monotonic()
    with pytest.raises(StreamDeadlineError):
        _run(mode, server, use)
    assert time.monotonic() - started <= BOUND


def test_a_stream_that_ends_in_time_is_read_whole_and_gives_its_connection_back(
    mode: str, server: RecordingServer
) -> None:
    for _ in range(3):
        server.stream([*every(KEEP_ALIVE, 0.05, 0.2), sse("stream_complete", {})])

    def use(client: Any) -> Any:
        if mode == "sync":
            return [_read_progress(mode, client, 5.0) for _ in range(3)]

        async def read() -> Any:
            return [await _read_progress(mode, client, 5.0) for _ in range(3)]

        return read()

    connections = server.connections
    assert _run(mode, server, use) == [["stream_complete"]] * 3
    assert server.connections == connections + 1, "one connection for the three streams"


# -- whole answers and downloads -------------------------------------------------------------


def test_a_whole_answer_that_stops_midway_ends_at_its_deadline(
    mode: str, server: RecordingServer
) -> None:
    body = json.dumps({"job_id": "j_1", "status": "processing", "format": "pdf"}).encode()
    server.stream(
        [*every(b" ", 0.1, 1.8), body[:10], 8.0], content_type="application/json"
    )  # JSON allows the leading spaces
    started = time.monotonic()

    def use(client: Any) -> Any:
        return client.documents.get_document_status("j_1", deadline=DEADLINE)

    with pytest.raises(APITimeoutError, match=r"no complete answer within the deadline of 2 s"):
        _run(mode, server, use)
    assert time.monotonic() - started <= BOUND
    assert len(server.requests) == 1


def _download(mode: str, client: Any, target: Path) -> Any:
    if mode == "sync":
        download = client.datasource_downloads.download_file(
            "dj_1", datasource_id="ds_1", deadline=DEADLINE
        )
        return download.save(target)

    async def save() -> Any:
        download = await client.datasource_downloads.download_file(
            "dj_1", datasource_id="ds_1", deadline=DEADLINE
        )
        return await download.save(target)

    return save()


@pytest.mark.parametrize(
    "chunks",
    [every(b"id,name\n", 0.1, 8.0), [b"id,name\n", 8.0]],
    ids=["a body that never ends", "a body that stops"],
)
def test_a_download_ends_at_its_deadline(
    chunks: list[bytes | float], mode: str, server: RecordingServer, tmp_path: Path
) -> None:
    server.stream(chunks, content_type="text/csv")
    started = time.monotonic()

    with pytest.raises(APITimeoutError, match=r"deadline of 2 s passed") as caught:
        _run(mode, server, lambda client: _download(mode, client, tmp_path / "export.csv"))

    assert time.monotonic() - started <= BOUND
    assert "the download timed out after" in str(caught.value)


# -- a fork: the child has no watchdog thread until it needs one ------------------------------


def test_a_forked_child_still_ends_its_streams_at_their_deadline(server: RecordingServer) -> None:
    server.stream([sse("connected", {}), *BEHAVIOURS["keep-alives, then nothing"]])
    server.stream([sse("connected", {}), *BEHAVIOURS["keep-alives, then nothing"]])
    # The parent's watchdog thread is running when the process forks.
    with (
        MeibelClient(api_key=KEY, base_url=server.url + "/v2") as client,
        pytest.raises(StreamDeadlineError),
    ):
        _read_progress("sync", client, DEADLINE)

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report how it went through the pipe, then leave at once
        outcome = "no error"
        try:
            with MeibelClient(api_key=KEY, base_url=server.url + "/v2") as child:
                started = time.monotonic()
                try:
                    _read_progress("sync", child, DEADLINE)
                except StreamDeadlineError:
                    outcome = f"{time.monotonic() - started:.3f}"
        except BaseException as error:
            outcome = repr(error)
        os.write(write, outcome.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    assert DEADLINE - 0.05 <= float(outcome) <= BOUND, outcome


# -- over TLS: HTTP/2, where one socket carries every stream, and HTTP/1.1 ---------------------


@pytest.mark.parametrize("http2", [True, False], ids=["HTTP/2", "HTTP/1.1"])
def test_a_stream_over_tls_ends_at_its_deadline(http2: bool, mode: str, tmp_path: Path) -> None:
    from http2_server import CONNECTED, Http2Server, _send_events

    class Stalling(Http2Server):
        async def handle(self, scope: Any, body: bytes, receive: Any, send: Any) -> None:
            await _send_events(send, [CONNECTED, *BEHAVIOURS["keep-alives, then nothing"]])

    with Stalling(tmp_path) as tls:
        context = tls.client_ssl_context()

        def read() -> None:
            if mode == "sync":
                with httpx2.Client(http2=http2, verify=context) as http:
                    _run(
                        mode, tls.url, lambda c: _read_progress(mode, c, DEADLINE), http_client=http
                    )
                return
            http = httpx2.AsyncClient(http2=http2, verify=context)

            async def use(client: Any) -> Any:
                async with http:  # the caller's pool: the caller closes it
                    return await _read_progress(mode, client, DEADLINE)

            _run(mode, tls.url, use, http_client=http)

        started = time.monotonic()
        with pytest.raises(StreamDeadlineError):
            read()
        elapsed = time.monotonic() - started
        assert [version for version, _ in tls.seen] == ["2" if http2 else "1.1"]
    assert elapsed <= BOUND


def test_over_http2_a_sync_deadline_ends_the_requests_beside_it_an_async_one_does_not(
    mode: str, tmp_path: Path
) -> None:
    # Pinned as docs/configuration.md says it: MeibelClient keeps the deadline with the
    # connection's read timeout, which httpcore2 applies to every stream of the connection.
    from answers import SESSION_DETAILS
    from http2_server import CONNECTED, Http2Server, _send_events, _send_json

    class Beside(Http2Server):
        async def handle(self, scope: Any, body: bytes, receive: Any, send: Any) -> None:
            if scope["path"].endswith("/progress"):
                await _send_events(send, [CONNECTED, 8.0])
            else:
                await anyio.sleep(DEADLINE + 0.5)  # answers after the stream's deadline
                await _send_json(send, SESSION_DETAILS)

    outcomes: dict[str, str] = {}
    with Beside(tmp_path) as h2:
        context = h2.client_ssl_context()
        if mode == "sync":
            with (
                httpx2.Client(http2=True, verify=context) as http,
                MeibelClient(api_key=KEY, base_url=h2.url, http_client=http, max_retries=0) as c,
            ):

                def get() -> None:
                    time.sleep(0.5)  # the stream's read holds the connection by then
                    try:
                        c.sessions.get_session(session_id="s_1")
                        outcomes["get"] = "answered"
                    except APITimeoutError:
                        outcomes["get"] = "timed out"

                # The stream is open (its connection too) before the GET starts beside it. Were
                # the GET's read to hold the connection first, the stream would wait for it and
                # end late, and the GET would be answered (docs/configuration.md says so too).
                stream = c.file_upload.stream_upload_progress("up_1", deadline=DEADLINE)
                beside = threading.Thread(target=get)
                beside.start()
                with stream, pytest.raises(StreamDeadlineError):
                    list(stream)
                beside.join()
        else:

            async def run() -> None:
                async with (
                    httpx2.AsyncClient(http2=True, verify=context) as http,
                    AsyncMeibelClient(
                        api_key=KEY, base_url=h2.url, http_client=http, max_retries=0
                    ) as c,
                ):

                    async def get() -> None:
                        await c.sessions.get_session(session_id="s_1")
                        outcomes["get"] = "answered"

                    stream = await c.file_upload.stream_upload_progress("up_1", deadline=DEADLINE)
                    async with anyio.create_task_group() as tasks, stream:
                        tasks.start_soon(get)
                        with pytest.raises(StreamDeadlineError):
                            _ = [event async for event in stream]

            anyio.run(run)
        ports = {port for _, port in h2.seen}
    assert len(ports) == 1, "both requests shared one HTTP/2 connection"
    assert outcomes["get"] == ("timed out" if mode == "sync" else "answered")
