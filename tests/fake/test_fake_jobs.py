"""FakeMeibel's jobs: statuses move on per poll, progress streams run a job to its end,
fail_job makes the next job of a kind fail, and concurrent uploads are safe."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from meibel import ConflictError, MeibelClient, StreamEventError
from meibel.models import ChatMessageRequest, CreateDatasourceRequest
from meibel.testing import JOB_KINDS, FakeMeibel, Job

SCHEMA = '{"title": "Report", "type": "object", "properties": {"title": {"type": "string"}}}'

Client = MeibelClient
Start = Callable[[Client], Any]  # starts a job; returns what its status poll needs
Poll = Callable[[Client, Any], Any]  # one status request; returns the status model


def _datasource(client: Client) -> str:
    created = client.datasources.create_datasource(body=CreateDatasourceRequest(name="Reports"))
    client.file_upload.upload_content(created.id, files=[("q4.txt", b"Q4"), ("q2.txt", b"Q2")])
    return created.id


def _start_document(client: Client) -> str:
    return client.documents.parse_document(file=("q4.pdf", b"%PDF-1.7")).job_id


def _start_deep(client: Client) -> str:
    body = {"schema": SCHEMA}
    return client.documents.submit_deep_transform(body=body, file=("q4.pdf", b"%PDF")).job_id


def _start_ingest(client: Client) -> str:
    datasource = _datasource(client)
    client.ingest.trigger_ingest(datasource)
    return datasource


def _start_scoring(client: Client) -> str:
    session = client.agents.create_session(agent_id="agent_123")
    session.chat("How was Q4?")
    [job] = client.confidence_scoring.list_scoring_jobs(agent_session_id=session.id)
    return job.job_id


POLLED: dict[str, tuple[Start, Poll, tuple[str, str, str, str]]] = {
    "document": (
        _start_document,
        lambda client, job: client.documents.get_document_status(job),
        ("queued", "processing", "completed", "failed"),
    ),
    "deep_transform": (
        _start_deep,
        lambda client, job: client.documents.get_deep_transform_status(job),
        ("queued", "running", "succeeded", "failed"),
    ),
    "ingest": (
        _start_ingest,
        lambda client, datasource: client.ingest.get_ingest_status(datasource),
        ("running", "running", "completed", "failed"),
    ),
    "scoring": (
        _start_scoring,
        lambda client, job: client.confidence_scoring.get_scoring_job(job),
        ("submitted", "in_progress", "completed", "failed"),
    ),
}


def _status(model: Any) -> str:
    return str(getattr(model.status, "value", model.status))


@pytest.mark.parametrize("kind", POLLED)
def test_polled_jobs_move_on_per_poll(kind: str) -> None:
    start, poll, (queued, processing, done, _) = POLLED[kind]
    fake = FakeMeibel()
    client = fake.client()
    job = start(client)
    statuses = [_status(poll(client, job)) for _ in range(4)]
    assert statuses == [queued, processing, done, done]


@pytest.mark.parametrize("kind", POLLED)
@pytest.mark.parametrize("steps", [0, 1, 3])
def test_job_steps_sets_the_polls_before_the_end(kind: str, steps: int) -> None:
    start, poll, (queued, processing, done, _) = POLLED[kind]
    client = FakeMeibel(job_steps=steps).client()
    job = start(client)
    statuses = [_status(poll(client, job)) for _ in range(steps + 1)]
    assert statuses == [*([queued] + [processing] * (steps - 1))[:steps], done]


@pytest.mark.parametrize("kind", POLLED)
def test_fail_job_fails_the_next_job_of_its_kind(kind: str) -> None:
    start, poll, (*_, failed) = POLLED[kind]
    fake = FakeMeibel(job_steps=1)
    fake.fail_job(kind, "the parser crashed")
    client = fake.client()
    job = start(client)
    first, last = poll(client, job), poll(client, job)
    assert _status(first) != failed
    assert _status(last) == failed
    error = {
        "document": lambda: last.error,
        "deep_transform": lambda: last.error,
        "ingest": lambda: last.additional_properties["error"],
        "scoring": lambda: last.explanation,
    }[kind]()
    assert error == "the parser crashed"
    # Only the next job: the one after succeeds.
    again = start(client)
    assert [_status(poll(client, again)) for _ in range(2)][-1] == POLLED[kind][2][2]


def test_job_details_follow_the_status() -> None:
    fake = FakeMeibel(job_steps=1)
    client = fake.client()
    datasource = _datasource(client)
    assert _status(client.ingest.get_ingest_status(datasource)) == "not_started"
    assert client.ingest.trigger_ingest(datasource).message.startswith("Ingest started")
    assert client.ingest.trigger_ingest(datasource).message.startswith("Ingest already running")
    running = client.ingest.get_ingest_status(datasource)
    assert (running.methods[0].processed_files, running.completed_at) == (1, None)
    completed = client.ingest.get_ingest_status(datasource)
    assert completed.methods[0].processed_files == completed.methods[0].adds == 2
    assert completed.completed_at is not None
    fetched = client.datasources.get_datasource(datasource)
    assert (fetched.last_sync_status, fetched.total_ingested_files) == ("completed", 2)

    job = _start_deep(client)
    assert client.documents.get_deep_transform_status(job).artifacts == []
    done = client.documents.get_deep_transform_status(job)
    assert done.artifacts == ["output.json"]
    assert done.metrics is not None
    assert [j.job_id for j in client.documents.list_deep_transforms()] == [job]

    scored = client.confidence_scoring.get_scoring_job(_start_scoring(client))
    assert scored.score is None
    agent = scored.agent_identity_context.agent_name
    assert client.confidence_scoring.get_agent_scoring_summary(agent).status == "in_progress"
    scored = client.confidence_scoring.get_scoring_job(scored.job_id)
    assert (scored.score, scored.module) == (8, "faithfulness")
    summary = client.confidence_scoring.get_agent_scoring_summary(agent)
    assert (summary.status, summary.aggregate_score, summary.job_ids) == (
        "completed", 8, [scored.job_id]
    )  # fmt: skip
    recorded = fake.jobs[scored.job_id]
    assert isinstance(recorded, Job)
    assert (recorded.kind, recorded.status, recorded.polls) == ("scoring", "completed", 2)
    assert recorded.info["agent_session_id"] == scored.agent_identity_context.agent_session_id


def _events(stream: Any) -> list[tuple[str, Any]]:
    with stream:
        return [(event.type, event.data) for event in stream]


def test_upload_progress_stream_runs_the_upload_to_its_end() -> None:
    fake = FakeMeibel()
    client = fake.client()
    datasource = client.datasources.create_datasource(body=CreateDatasourceRequest(name="R")).id
    upload = client.file_upload.upload_content(datasource, files=[("a.txt", b"a"), ("b.txt", b"b")])
    assert upload.sse_url == f"/v2/datasources/uploads/{upload.upload_id}/progress"
    events = _events(client.file_upload.stream_upload_progress(upload.upload_id))
    assert [(kind, data["status"], data.get("progress")) for kind, data in events] == [
        ("connected", "queued", None),
        ("progress", "queued", 33),
        ("progress", "processing", 67),
        ("stream_complete", "completed", 100),
    ]
    assert all(data["upload_id"] == upload.upload_id for _, data in events)
    assert events[-1][1]["total_files"] == 2
    assert fake.jobs[upload.upload_id].status == "completed"
    # Once ended, the stream says so at once.
    again = _events(client.file_upload.stream_upload_progress(upload.upload_id))
    assert [kind for kind, _ in again] == ["connected", "stream_complete"]


def test_download_jobs_stream_then_download() -> None:
    fake = FakeMeibel(job_steps=1)
    client = fake.client()
    datasource = _datasource(client)
    job = client.datasource_downloads.create_download_job(datasource)
    assert (job.status, job.status_url) == (
        "queued", f"/v2/datasources/{datasource}/downloads/{job.job_id}/progress"
    )  # fmt: skip
    events = _events(
        client.datasource_downloads.stream_download_progress(job.job_id, datasource_id=datasource)
    )
    assert [kind for kind, _ in events] == ["connected", "progress", "stream_complete"]
    manifest = client.datasource_downloads.download_file(
        job.job_id, datasource_id=datasource
    ).text()
    assert manifest.splitlines()[1:] == [
        f"{upload.upload_id},{part.filename},{part.content_type},{len(part.data)}"
        for upload in fake.uploads
        for part in upload.files
    ]


def test_document_trace_stream() -> None:
    fake = FakeMeibel(job_steps=3)
    client = fake.client()
    job = _start_document(client)
    events = _events(client.documents.stream_document_trace(job))
    assert [kind for kind, _ in events] == ["layout_detected", "ocr_page", "ocr_page", "completed"]
    assert events[-1][1] == {"job_id": job, "status": "completed", "progress": 100}
    assert client.documents.get_document_status(job).status == "completed"
    assert fake.parse_jobs[job].status == "completed"


@pytest.mark.parametrize(
    ("kind", "follow"),
    [
        ("upload", "upload"),
        ("download", "download"),
        ("document", "trace"),
    ],
)
def test_failed_jobs_end_their_stream_with_an_error_event(kind: str, follow: str) -> None:
    fake = FakeMeibel()
    fake.fail_job(kind, "disk full")
    client = fake.client(max_retries=0)
    datasource = client.datasources.create_datasource(body=CreateDatasourceRequest(name="R")).id
    if follow == "upload":
        upload = client.file_upload.upload_content(datasource, files=[("a.txt", b"a")])
        stream = client.file_upload.stream_upload_progress(upload.upload_id)
    elif follow == "download":
        job_id = client.datasource_downloads.create_download_job(datasource).job_id
        stream = client.datasource_downloads.stream_download_progress(
            job_id, datasource_id=datasource
        )
    else:
        job_id = _start_document(client)
        stream = client.documents.stream_document_trace(job_id)
    seen: list[str] = []
    with pytest.raises(StreamEventError, match="disk full") as failure, stream:
        seen.extend(event.type for event in stream)
    steps = (
        ["layout_detected", "ocr_page"] if follow == "trace" else ["connected", *["progress"] * 2]
    )
    assert seen == steps  # the events before the end
    assert failure.value.body["status"] == "failed"
    if follow == "download":
        with pytest.raises(ConflictError, match="disk full"):
            client.datasource_downloads.download_file(job_id, datasource_id=datasource)
    if follow == "trace":
        assert client.documents.get_document_status(job_id).error == "disk full"
        with pytest.raises(ConflictError):
            client.documents.get_document_result(job_id)


def test_fail_job_kinds() -> None:
    fake = FakeMeibel()
    assert set(JOB_KINDS) == {
        "document",
        "deep_transform",
        "ingest",
        "download",
        "scoring",
        "upload",
    }
    with pytest.raises(ValueError, match=r"unknown job kind 'parse'.*document"):
        fake.fail_job("parse")
    with pytest.raises(ValueError, match="job_steps"):
        FakeMeibel(job_steps=-1)
    fake.fail_job("document", times=2)
    client = fake.client()
    jobs = [_start_document(client) for _ in range(3)]
    assert [fake.jobs[job].fails_with for job in jobs] == ["Fake failure", "Fake failure", None]


def test_chat_turns_are_scored_once_completed() -> None:
    fake = FakeMeibel()
    fake.reply("partial", drop_after=2)
    client = fake.client()
    session = client.agents.create_session(agent_id="a")
    with pytest.raises(Exception, match="stream"):
        session.stream("hi").final_response()
    assert client.confidence_scoring.list_scoring_jobs() == []
    client.sessions.send_chat_message(
        session_id=session.id, body=ChatMessageRequest(user_message="hi")
    )
    [job] = client.confidence_scoring.list_scoring_jobs(agent_name="a")
    assert job.agent_identity_context.agent_session_id == session.id
    assert job.agent_identity_context.agent_turn == 1


def test_concurrent_uploads_over_http() -> None:
    fake = FakeMeibel(job_steps=1)
    datasource = _datasource(fake.client())
    errors: list[BaseException] = []
    upload_ids: list[str] = []
    with fake.serve() as base_url, MeibelClient(api_key="k", base_url=base_url) as client:

        def upload(index: int) -> None:
            try:
                files = [(f"file{index}.txt", f"content {index}".encode())]
                answer = client.file_upload.upload_content(datasource, files=files)
                upload_ids.append(answer.upload_id)
                kinds = [
                    e.type for e in client.file_upload.stream_upload_progress(answer.upload_id)
                ]
                assert kinds[-1] == "stream_complete"
            except BaseException as error:  # reported by the test thread below
                errors.append(error)

        threads = [threading.Thread(target=upload, args=(index,)) for index in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        listed = {item.name for item in client.file_upload.list_content(datasource)}
    assert errors == []
    assert len(set(upload_ids)) == 16
    assert listed == {"q4.txt", "q2.txt"} | {f"file{index}.txt" for index in range(16)}
    assert fake.datasources[datasource]["files"]["total"] == 18
    assert len(fake.data_elements) == 18


@pytest.mark.anyio
async def test_jobs_async() -> None:
    fake = FakeMeibel()
    async with fake.async_client() as client:
        job = await client.documents.parse_document(file=("q4.pdf", b"%PDF-1.7"))
        statuses = [(await client.documents.get_document_status(job.job_id)).status for _ in "abc"]
        assert statuses == ["queued", "processing", "completed"]
        datasource = await client.datasources.create_datasource(
            body=CreateDatasourceRequest(name="R")
        )
        upload = await client.file_upload.upload_content(datasource.id, files=[("a.txt", b"a")])
        stream = await client.file_upload.stream_upload_progress(upload.upload_id)
        async with stream:
            kinds = [event.type async for event in stream]
    assert kinds == ["connected", "progress", "progress", "stream_complete"]
