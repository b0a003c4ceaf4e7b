"""The jobs the waiter tests follow (polled and streamed) and how a test runs a waiter, sync or
async, against a RecordingServer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from wire import RecordingServer

from meibel import (
    AsyncMeibelClient,
    MeibelClient,
)

KEY = "sk-test-waiters"
FAST = {"poll_interval": 0.001}


def _wait(
    mode: str,
    server: RecordingServer,
    call: Callable[..., Any],
    *,
    client_options: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """`call(client, **options)` on a MeibelClient of `server`, or awaited on an async one."""
    settings = {"api_key": KEY, "base_url": server.url + "/v2", **(client_options or {})}
    if mode == "sync":
        with MeibelClient(**settings) as client:
            return call(client, **options)

    async def run() -> Any:
        async with AsyncMeibelClient(**settings) as client:
            return await call(client, **options)

    return anyio.run(run)


def _paths(server: RecordingServer) -> list[str]:
    return [request.target for request in server.requests]


# -- the jobs that are polled ---------------------------------------------------------------------


@dataclass(frozen=True)
class Polled:
    name: str
    call: Callable[..., Any]
    path: str  # of the status operation
    states: tuple[str, str, str, str]  # queued, processing, succeeded, failed
    body: Callable[[str, str | None], dict[str, Any]]
    has_error: bool  # the status model carries the server's error message
    streams_first: bool = False  # documents.wait asks the trace stream first

    def script(self, server: RecordingServer, *states: str, error: str | None = None) -> None:
        if self.streams_first:
            server.respond(404, {"detail": "Not Found"})
        for state in states:
            server.respond(200, self.body(state, error))

    def status_paths(self, server: RecordingServer) -> list[str]:
        paths = _paths(server)
        return paths[1:] if self.streams_first else paths


POLLED = [
    Polled(
        "documents.wait",
        lambda client, **kw: client.documents.wait("job_1", **kw),
        "/v2/documents/job_1",
        ("queued", "processing", "completed", "failed"),
        lambda state, error: {"job_id": "job_1", "status": state, "format": "pdf", "error": error},
        has_error=True,
        streams_first=True,
    ),
    Polled(
        "documents.wait_for_deep_transform",
        lambda client, **kw: client.documents.wait_for_deep_transform("dt_1", **kw),
        "/v2/documents/deep-transform/dt_1",
        ("queued", "running", "succeeded", "failed"),
        lambda state, error: {"job_id": "dt_1", "status": state, "artifacts": [], "error": error},
        has_error=True,
    ),
    Polled(
        "ingest.wait",
        lambda client, **kw: client.ingest.wait("ds_1", **kw),
        "/v2/datasources/ds_1/ingest-status",
        ("not_started", "running", "completed", "failed"),
        lambda state, error: {"datasource_id": "ds_1", "status": state},
        has_error=False,
    ),
    Polled(
        "confidence_scoring.wait",
        lambda client, **kw: client.confidence_scoring.wait("sj_1", **kw),
        "/v2/confidence-scoring/job/sj_1",
        ("submitted", "in_progress", "completed", "failed"),
        lambda state, error: {
            "job_id": "sj_1",
            "agent_identity_context": {"customer_id": "c1", "project_id": "p1"},
            "module": "correctness",
            "status": state,
            "explanation": error,
        },
        has_error=True,
    ),
]
_polled = pytest.mark.parametrize("case", POLLED, ids=lambda case: case.name)


# -- the jobs that are followed on a progress stream ----------------------------------------------


@dataclass(frozen=True)
class Streamed:
    name: str
    call: Callable[..., Any]
    path: str  # of the progress stream
    end: str  # the name of the event that ends it
    status_path: str | None = None  # of the status operation, when the spec has one


STREAMED = [
    Streamed(
        "documents.wait",
        POLLED[0].call,
        "/v2/documents/job_1/trace",
        "completed",
        status_path="/v2/documents/job_1",
    ),
    Streamed(
        "datasource_downloads.wait",
        lambda client, **kw: client.datasource_downloads.wait("dj_1", datasource_id="ds_1", **kw),
        "/v2/datasources/ds_1/downloads/dj_1/progress",
        "stream_complete",
    ),
    Streamed(
        "file_upload.wait",
        lambda client, **kw: client.file_upload.wait("up_1", **kw),
        "/v2/datasources/uploads/up_1/progress",
        "stream_complete",
    ),
]
_streamed = pytest.mark.parametrize("case", STREAMED, ids=lambda case: case.name)


def _document(state: str, error: str | None = None) -> dict[str, Any]:
    return POLLED[0].body(state, error)
