"""Typical user code: mypy --strict must accept it and infer these types (make typecheck)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Coroutine
from pathlib import Path, PurePath
from typing import Any, assert_type

import httpx2

from meibel import (
    APIStatusError,
    AsyncMeibelClient,
    JobFailedError,
    JobTimeoutError,
    MeibelClient,
    NotFoundError,
    RateLimitError,
    RawResponse,
    Session,
    SyncPage,
    UploadReport,
)
from meibel.models import (
    AgentExecutionDetailsResponse,
    AgentListResponse,
    AgentSummary,
    ChatMessageRequest,
    ChatMessageResponse,
    CreateDatasourceRequest,
    CreateSessionResponse,
    DatasourceResponse,
    DeepTransformJob,
    DocumentStatus,
    IngestStatus,
    IngestStatusResponse,
    ScoringJobResponse,
    SessionMessageItem,
    Source,
    StreamDownloadProgressResponse200,
    StreamUploadProgressResponse200,
)


def guide(client: MeibelClient) -> None:
    session = client.agents.create_session(agent_id="agent_123")
    assert_type(session, Session[CreateSessionResponse])
    assert_type(session.id, str)
    assert_type(session.agent_id, str | None)
    assert_type(session.created_at, datetime.datetime | None)

    response = client.sessions.send_chat_message(
        session_id=session.id,
        body=ChatMessageRequest(user_message="What are the key findings in the Q4 report?"),
    )
    assert_type(response, ChatMessageResponse)
    assert_type(response.message, str)
    assert_type(response.citations, list[Source])
    assert_type(response.signal_id, str)

    for msg in client.sessions.get_session_messages(session_id=session.id):
        assert_type(msg, SessionMessageItem)
        role: str = msg.role
        print(role, msg.message, msg.timestamp)

    stream = client.sessions.send_chat_message_stream(
        session_id=session.id,
        body=ChatMessageRequest(user_message="Summarize."),
        files=["report.pdf", b"raw", ("notes.txt", b"n", "text/plain")],
    )
    with stream:
        for event in stream:
            if event.type == "content":
                assert_type(event.delta, str)
    result = stream.final_response()
    assert_type(result.message, str)

    # The session helpers.
    assert_type(session.chat("Q3?").message, str)
    for event in session.stream("And Q2?", files=["q2.pdf"]):
        print(event.delta)
    assert_type(len(session.messages()), int)
    details = session.refresh()
    assert_type(details.id, str)
    assert_type(details.model.status, str)

    # The vendor SDK's call shapes, from the spec's x-codeSamples.
    client.agents.sessions.send_chat_message(
        "session_id_value", body=ChatMessageRequest(user_message="hi")
    )
    client.sessions.get_messages("session_id_value")


def pages_and_errors(client: MeibelClient) -> None:
    page = client.agents.list_agents(limit=50)
    assert_type(page, SyncPage[AgentListResponse, AgentSummary])
    for agent in page:
        assert_type(agent, AgentSummary)
    try:
        client.with_options(max_retries=0).sessions.get_session(session_id="missing")
    except NotFoundError as error:
        assert_type(error.status_code, int)
    except RateLimitError as error:
        print(error.request_id)
    except APIStatusError as error:
        print(error.body)


async def async_usage() -> None:
    async with AsyncMeibelClient(api_key=os.environ["MEIBEL_API_KEY"]) as client:
        response = await client.sessions.send_chat_message(
            session_id="s", body=ChatMessageRequest(user_message="hi")
        )
        assert_type(response.message, str)
        async for agent in client.agents.list_agents():
            assert_type(agent, AgentSummary)
        stream = await client.sessions.send_chat_message_stream(session_id="s")
        async with stream:
            async for event in stream:
                print(event.delta)


def per_call_control(client: MeibelClient) -> None:
    raw = client.sessions.with_raw_response.get_session(
        session_id="s", timeout=2.0, extra_headers={"X-Trace": "t"}
    )
    assert_type(raw, RawResponse[Session[AgentExecutionDetailsResponse]])
    assert_type(raw.status_code, int)
    assert_type(raw.request_id, str | None)
    assert_type(raw.parse().id, str)
    pages = client.agents.with_raw_response.list_agents(extra_query={"tag": "x"})
    assert_type(pages.parse(), SyncPage[AgentListResponse, AgentSummary])
    client.datasources.create_datasource(
        body=CreateDatasourceRequest(name="d"),
        timeout=httpx2.Timeout(5.0),
        extra_body={"beta": True},
    )


async def async_per_call_control(client: AsyncMeibelClient) -> None:
    raw = await client.datasources.with_raw_response.get_datasource("d", timeout=None)
    assert_type(raw, RawResponse[DatasourceResponse])
    assert_type(raw.parse().name, str)
    pages = await client.agents.with_raw_response.list_agents()
    async for agent in pages.parse():
        assert_type(agent, AgentSummary)


def waiting_for_jobs(client: MeibelClient) -> None:
    job = client.documents.parse_document(file="report.pdf")
    status = client.documents.wait(job.job_id, timeout=300, on_progress=print)
    assert_type(status, DocumentStatus)
    assert_type(status.status, str)
    extraction = client.documents.wait_for_deep_transform("dt_1", poll_interval=0.5)
    assert_type(extraction, DeepTransformJob)
    assert_type(client.ingest.wait("ds_1").status, IngestStatus)
    assert_type(client.confidence_scoring.wait("sj_1", timeout=None), ScoringJobResponse)
    done = client.file_upload.wait("up_1")
    assert_type(done.type, str)
    assert_type(done.model, StreamUploadProgressResponse200 | None)
    download = client.datasource_downloads.wait("dj_1", datasource_id="ds_1")
    assert_type(download.model, StreamDownloadProgressResponse200 | None)
    try:
        client.documents.wait("job_1", timeout=5)
    except JobFailedError as error:
        assert_type(error.error, str | None)
    except JobTimeoutError as error:
        print(error.last_status)


async def async_waiting_for_jobs(client: AsyncMeibelClient) -> None:
    status = await client.documents.wait("job_1", poll_interval=0.2)
    assert_type(status, DocumentStatus)
    assert_type(await client.ingest.wait("ds_1"), IngestStatusResponse)
    event = await client.file_upload.wait("up_1")
    assert_type(event.model, StreamUploadProgressResponse200 | None)


def uploading_many_files(client: MeibelClient, aclient: AsyncMeibelClient, root: Path) -> None:
    paths = sorted(root.rglob("*.pdf"))
    by_path = client.file_upload.upload_files("ds_1", paths, journal="paths.jsonl")
    pairs = [(path.relative_to(root).as_posix(), path) for path in paths]
    shards = [client.file_upload.upload_files("ds_1", pairs[i::2]) for i in range(2)]
    merged = UploadReport.merge(by_path, *shards)
    assert_type(merged, UploadReport)
    assert_type(merged.uploaded[0].path, PurePath)
    remote = client.file_upload.upload_folder("ds_1", "s3://bucket/reports", pattern="**/*.pdf")
    assert_type(remote.not_started, tuple[PurePath, ...])

    async def inline() -> UploadReport:
        return await aclient.file_upload.upload_files("ds_1", [("a.txt", b"a")], concurrency=2)

    assert_type(inline, Callable[[], Coroutine[Any, Any, UploadReport]])


def call_shapes(client: MeibelClient) -> None:
    # A JSON body's fields as keywords, typed as the model declares them (or body=Model(...)).
    created = client.datasources.create_datasource(name="x")
    assert_type(created, DatasourceResponse)
    assert_type(created.name, str)
    reply = client.sessions.send_chat_message("s", message="Hello", include_thinking=True)
    assert_type(reply, ChatMessageResponse)
    # Parent ids by keyword; datasource_id may come from MeibelClient(datasource_id=...).
    client.datasource_downloads.download_file("job_1", datasource_id="ds_1").save("out.csv")
    uploaded = client.datasources.content.upload_content(file=b"a,b", file_name="data.csv")
    assert_type(uploaded.upload_id, str)
    # Optional parameters are `X | None`: None leaves them out.
    page = client.agents.list_agents(limit=None, datasource_id=None)
    assert_type(page, SyncPage[AgentListResponse, AgentSummary])


def models_without_unset(client: MeibelClient) -> None:
    # An optional field is `X | None`: None when it was not sent (meibel.is_set tells).
    from meibel import is_set
    from meibel.models import DatasourceListResponse, IngestMethodSummary

    status = IngestStatusResponse.from_dict({"datasource_id": "d", "status": "running"})
    assert_type(status.completed_at, str | None)
    assert_type(status.methods, list[IngestMethodSummary] | None)
    assert_type(is_set(status, "completed_at"), bool)
    assert_type(status.fields_set, frozenset[str])
    datasources = client.datasources.list_datasources()
    assert_type(datasources, DatasourceListResponse)
    assert_type(datasources.items, list[DatasourceResponse])
