"""The waiters against meibel.testing.FakeMeibel, whose jobs move on with each poll: each kind of
job followed to its end or its failure, sync and async.
"""

from __future__ import annotations

import inspect
from typing import Any

import anyio
import pytest
from waiter_cases import (
    FAST,
)

from meibel import (
    JobFailedError,
)
from meibel.models import (
    CreateDatasourceRequest,
    SubmitDeepTransformFromDocument,
    SubmitDeepTransformFromDocumentSchema,
)
from meibel.testing import FakeMeibel

KINDS = {
    "document": "completed",
    "deep_transform": "succeeded",
    "ingest": "completed",
    "scoring": "completed",
    "upload": "stream_complete",
    "download": "stream_complete",
}


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _run_job(kind: str, client: Any, **options: Any) -> Any:
    """Start a job of `kind` on `client` (sync or async) and wait for it."""
    r = _resolve
    if kind in ("document", "deep_transform"):
        job = await r(client.documents.parse_document(file=("report.pdf", b"%PDF-1.7")))
        if kind == "document":
            return await r(client.documents.wait(job.job_id, **options))
        schema = SubmitDeepTransformFromDocumentSchema.from_dict({"type": "object"})
        body = SubmitDeepTransformFromDocument(document_job_id=job.job_id, schema=schema)
        extraction = await r(client.documents.submit_deep_transform_from_document(body=body))
        return await r(client.documents.wait_for_deep_transform(extraction.job_id, **options))
    if kind == "scoring":  # the fake scores each completed chat turn
        session = await r(client.agents.create_session(agent_id="agent_1"))
        await r(session.chat("How did Q4 go?"))
        (job,) = await r(client.confidence_scoring.list_scoring_jobs())
        return await r(client.confidence_scoring.wait(job.job_id, **options))
    request = CreateDatasourceRequest(name="Reports")
    datasource = await r(client.datasources.create_datasource(body=request))
    upload = await r(client.file_upload.upload_content(datasource.id, files=[("q4.txt", b"Q4")]))
    if kind == "upload":
        return await r(client.file_upload.wait(upload.upload_id, **options))
    if kind == "ingest":
        await r(client.ingest.trigger_ingest(datasource.id))
        return await r(client.ingest.wait(datasource.id, **options))
    export = await r(client.datasource_downloads.create_download_job(datasource.id))
    return await r(
        client.datasource_downloads.wait(export.job_id, datasource_id=datasource.id, **options)
    )


def _on_fake(mode: str, fake: FakeMeibel, kind: str, **options: Any) -> Any:
    async def run() -> Any:
        if mode == "sync":
            with fake.client() as client:
                return await _run_job(kind, client, **options)
        async with fake.async_client() as client:
            return await _run_job(kind, client, **options)

    return anyio.run(run)


@pytest.mark.parametrize("kind", KINDS)
def test_a_fake_job_is_followed_to_its_end(kind: str, mode: str) -> None:
    fake = FakeMeibel()
    seen: list[Any] = []

    result = _on_fake(mode, fake, kind, on_progress=seen.append, **FAST)

    state = str(result.status) if hasattr(result, "status") else result.type
    assert state == KINDS[kind]
    assert len(seen) > 1  # the fake's job went through states before that one
    assert seen[-1] is result


@pytest.mark.parametrize("kind", KINDS)
def test_a_fake_job_that_fails_raises_job_failed_error(kind: str, mode: str) -> None:
    fake = FakeMeibel()
    fake.fail_job(kind, "the fake failed it")

    with pytest.raises(JobFailedError) as caught:
        _on_fake(mode, fake, kind, **FAST)

    # IngestStatusResponse carries no error message; every other job's answer does.
    assert caught.value.error == (None if kind == "ingest" else "the fake failed it")
    assert caught.value.job_id in str(caught.value)
