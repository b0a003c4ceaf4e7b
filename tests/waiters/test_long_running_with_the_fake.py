"""Long-running work end to end against meibel.testing.FakeMeibel, sync and async: a folder to an
ingested datasource, a document parsed and its result saved, a failed job."""

from __future__ import annotations

from pathlib import Path

import pytest

from meibel import JobFailedError
from meibel.models import CreateDatasourceRequest
from meibel.testing import FakeMeibel


def _folder(root: Path) -> Path:
    folder = root / "docs"
    (folder / "sub").mkdir(parents=True)
    for number in range(50):
        (folder / f"file{number:02}.txt").write_text(f"file {number}\n" * 100)
    (folder / "sub" / "nested.txt").write_text("in a subfolder\n")
    (folder / ".hidden").write_text("skipped\n")
    return folder


def test_folder_to_ingested_document_to_saved_result(tmp_path: Path) -> None:
    fake = FakeMeibel()
    assert fake.unimplemented() == []
    progress: list[tuple[int, int | None, str | None]] = []
    with fake.client() as client:
        datasource = client.datasources.create_datasource(body=CreateDatasourceRequest(name="d"))
        report = client.file_upload.upload_folder(
            datasource.id,
            _folder(tmp_path),
            on_progress=lambda done, total, name: progress.append((done, total, name)),
            trigger_ingest=True,
        )
        assert len(report.uploaded) == 51
        assert not report.failed
        assert any("sub" in str(item.path) for item in report.uploaded)
        assert [str(item.path.name) for item in report.skipped] == [".hidden"]
        done = [entry[0] for entry in progress]
        assert done == sorted(done)
        assert done[-1] == progress[-1][1]
        assert done[-1] > 0
        assert str(client.ingest.wait(datasource.id, poll_interval=0.01).status) == "completed"

        (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7 a report")
        job = client.documents.parse_document(file=tmp_path / "report.pdf")
        status = client.documents.wait(job.job_id, poll_interval=0.01)
        assert status.status == "completed"
        with client.documents.get_document_result(job.job_id) as result:
            assert result.save(tmp_path / "report.md") > 0
        assert (tmp_path / "report.md").read_text(encoding="utf-8")

        fake.fail_job("document")
        failing = client.documents.parse_document(file=tmp_path / "report.pdf")
        with pytest.raises(JobFailedError):
            client.documents.wait(failing.job_id, poll_interval=0.01)


@pytest.mark.anyio
async def test_the_same_flow_async(tmp_path: Path) -> None:
    fake = FakeMeibel()
    async with fake.async_client() as client:
        datasource = await client.datasources.create_datasource(
            body=CreateDatasourceRequest(name="d")
        )
        report = await client.file_upload.upload_folder(
            datasource.id, _folder(tmp_path), trigger_ingest=True
        )
        assert len(report.uploaded) == 51
        assert not report.failed
        ingest = await client.ingest.wait(datasource.id, poll_interval=0.01)
        assert str(ingest.status) == "completed"

        (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7 a report")
        job = await client.documents.parse_document(file=tmp_path / "report.pdf")
        assert (await client.documents.wait(job.job_id, poll_interval=0.01)).status == "completed"
        async with await client.documents.get_document_result(job.job_id) as result:
            assert await result.save(tmp_path / "report.md") > 0

        fake.fail_job("ingest")
        await client.ingest.trigger_ingest(datasource.id)
        with pytest.raises(JobFailedError):
            await client.ingest.wait(datasource.id, poll_interval=0.01)
