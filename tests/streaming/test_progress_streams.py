"""The chat stream's machinery for every multipart and event-stream operation: uploads, progress
streams, events that break the spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from chat_events import KEY, _client, _event
from wire import RecordingServer, parse_multipart

from meibel import (
    AsyncMeibelClient,
    MalformedEventError,
    MeibelClient,
    StreamInterruptedError,
    StreamStalledError,
)


def test_document_and_datasource_uploads_stream_their_files(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    document = tmp_path / "contract.pdf"
    document.write_bytes(b"%PDF-1.7 contract")
    recording_server.respond(200, {"job_id": "j1", "status": "queued"})
    recording_server.respond(
        200,
        {
            "success": True,
            "message": "ok",
            "datasource_id": "d",
            "upload_id": "u1",
            "sse_url": "/datasources/uploads/u1/progress",
        },
    )
    with _client(recording_server) as client:
        job = client.documents.parse_document(file=document)
        upload = client.file_upload.upload_content("d", files=[document, ("b.txt", b"bee")])
    assert job.job_id == "j1"
    assert upload.upload_id == "u1"
    parse_request, upload_request = recording_server.requests
    [part] = parse_multipart(parse_request.headers["Content-Type"], parse_request.body)
    assert (part.field, part.filename, part.data) == ("file", "contract.pdf", b"%PDF-1.7 contract")
    parts = parse_multipart(upload_request.headers["Content-Type"], upload_request.body)
    assert [(p.field, p.filename) for p in parts] == [("files", "contract.pdf"), ("files", "b.txt")]


def test_progress_streams_yield_typed_events(recording_server: RecordingServer) -> None:
    recording_server.stream(
        [
            b'data: {"status": "uploading", "progress": 0.5}\n\n',
            b'event: complete\ndata: {"status": "done"}\n\n',
        ]
    )
    with _client(recording_server) as client:
        events = list(client.file_upload.stream_upload_progress("u1"))
    assert [e.type for e in events] == ["message", "complete"]
    assert events[0].model is not None
    assert events[0].model.additional_properties == {"status": "uploading", "progress": 0.5}
    assert events[1].data == {"status": "done"}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("how", ["dropped", "stalled"])
def test_a_progress_stream_cut_short_raises_instead_of_ending_quietly(
    how: str, mode: str, recording_server: RecordingServer
) -> None:
    # No sentinel ends these streams, so only the body's own end is an end: a connection lost
    # (or silent) midway used to end the loop as if the stream were complete.
    first = b'data: {"status": "uploading", "progress": 0.5}\n\n'
    recording_server.stream([first] if how == "dropped" else [first, 3.0], drop=True)
    error = StreamInterruptedError if how == "dropped" else StreamStalledError
    seen: list[Any] = []
    options = {"api_key": KEY, "base_url": recording_server.url + "/v2", "stream_idle_timeout": 0.3}

    async def read_async() -> None:
        async with AsyncMeibelClient(**options) as client:
            stream = await client.file_upload.stream_upload_progress("u1")
            async with stream:
                async for event in stream:  # not a comprehension: it loses what came before
                    seen.append(event)  # noqa: PERF401

    def read() -> None:
        if mode == "async":
            anyio.run(read_async)
            return
        with MeibelClient(**options) as client:
            seen.extend(client.file_upload.stream_upload_progress("u1"))

    with pytest.raises(error):
        read()
    assert [event.data for event in seen] == [{"status": "uploading", "progress": 0.5}]


def test_a_known_event_that_breaks_the_spec_raises_when_its_model_is_read(
    recording_server: RecordingServer,
) -> None:
    recording_server.stream([_event("tool_call", {"tool_id": "t1"}), b"data: [DONE]\n\n"])
    with _client(recording_server) as client:
        [tool_call, _done] = list(client.sessions.send_chat_message_stream(session_id="s"))
    with pytest.raises(MalformedEventError, match="ToolCallEvent"):
        _ = tool_call.model
