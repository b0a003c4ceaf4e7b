"""meibel.testing.FakeMeibel: datasources, uploads, documents and downloads; schema errors when
served; its httpx client, the pytest plugin's fixtures and the downstream example suite.
"""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from meibel import (
    AsyncDownload,
    BadRequestError,
    Download,
    InternalServerError,
    MeibelClient,
    NotFoundError,
)
from meibel.models import CreateDatasourceRequest
from meibel.testing import (
    FakeMeibel,
    FakeSchemaError,
)


def test_datasources_uploads_and_documents() -> None:
    fake = FakeMeibel()
    client = fake.client()
    created = client.datasources.create_datasource(body=CreateDatasourceRequest(name="Reports"))
    assert created.name == "Reports"
    assert [d.id for d in client.datasources.list_datasources().datasources] == [created.id]
    upload = client.file_upload.upload_content(created.id, files=[("q4.txt", b"Q4 numbers")])
    assert upload.success
    assert upload.datasource_id == created.id
    assert fake.uploads[0].files[0].data == b"Q4 numbers"
    fetched = client.datasources.get_datasource(created.id)
    assert fetched.files is not None
    assert fetched.files.total == 1

    job = client.documents.parse_document(file=("report.pdf", b"%PDF-1.7"))
    assert fake.parse_jobs[job.job_id].file.data == b"%PDF-1.7"
    polls = [client.documents.get_document_status(job.job_id) for _ in range(3)]
    assert [status.status for status in polls] == ["queued", "processing", "completed"]
    assert polls[-1].format_ == "pdf"
    assert fake.parse_jobs[job.job_id].status == "completed"


def test_downloads_answer_with_files() -> None:
    fake = FakeMeibel()
    client = fake.client()
    created = client.datasources.create_datasource(body=CreateDatasourceRequest(name="Reports"))
    upload = client.file_upload.upload_content(created.id, files=[("q4.txt", b"Q4 numbers")])
    manifest = f"upload_id,filename,content_type,bytes\n{upload.upload_id},q4.txt,text/plain,10\n"
    with client.datasource_downloads.download_file("job_1", datasource_id=created.id) as download:
        assert isinstance(download, Download)
        assert download.text() == manifest
    assert fake.requests[-1].operation_id == "downloadFile"
    assert client.datasource_downloads.process_download(created.id).text() == manifest

    job = client.documents.parse_document(file=("report.pdf", b"%PDF-1.7"))
    markdown = client.documents.get_document_result(job.job_id).text()
    assert markdown == "# report.pdf\n\nParsed by FakeMeibel from 8 bytes.\n"
    assert fake.requests[-1].query == {"format": "markdown"}
    annotated = client.documents.get_document_result(job.job_id, format_="annotated").text()
    assert annotated.startswith("<!-- page 1 -->\n# report.pdf\n")
    parsed = client.documents.get_document_result(job.job_id, format_="json").json()
    assert parsed == {
        "job_id": job.job_id,
        "filename": "report.pdf",
        "pages": 1,
        "text": "Parsed by FakeMeibel from 8 bytes.",
    }
    artifact = client.documents.download_deep_transform_artifact(
        "output.json", job_id="dt_1"
    ).json()
    assert artifact["job_id"] == "dt_1"

    with pytest.raises(NotFoundError, match="Datasource nope not found"):
        client.datasource_downloads.download_file("job_1", datasource_id="nope")
    with pytest.raises(NotFoundError, match="Job nope not found"):
        client.documents.get_document_result("nope")
    with pytest.raises(BadRequestError, match="Unsupported format 'pdf'"):
        client.documents.get_document_result(job.job_id, format_="pdf")
    with pytest.raises(NotFoundError, match=r"Artifact other\.bin not found"):
        client.documents.download_deep_transform_artifact("other.bin", job_id="dt_1")


def test_downloads_served_over_http(tmp_path: Path) -> None:
    fake = FakeMeibel()
    job = fake.client().documents.parse_document(file=("q4.pdf", b"%PDF-1.7 Q4"))
    expected = b"# q4.pdf\n\nParsed by FakeMeibel from 11 bytes.\n"
    seen: list[tuple[int, int | None, str | None]] = []
    with fake.serve() as base_url, MeibelClient(api_key="k", base_url=base_url) as client:
        download = client.documents.get_document_result(job.job_id)
        written = download.save(tmp_path / "q4.md", on_progress=lambda *a: seen.append(a))
    assert written == len(expected)
    assert (tmp_path / "q4.md").read_bytes() == expected
    assert seen[-1] == (len(expected), len(expected), "q4.md")


@pytest.mark.anyio
async def test_downloads_async() -> None:
    fake = FakeMeibel()
    async with fake.async_client() as client:
        job = await client.documents.parse_document(file=("q4.pdf", b"%PDF-1.7 Q4"))
        download = await client.documents.get_document_result(job.job_id)
        assert isinstance(download, AsyncDownload)
        async with download:
            chunks = [chunk async for chunk in download.iter_bytes()]
    assert b"".join(chunks) == b"# q4.pdf\n\nParsed by FakeMeibel from 11 bytes.\n"


def test_served_schema_errors_are_raised_on_exit() -> None:
    fake = FakeMeibel()
    fake.reply("x", sources=[{"url": None}])
    serving = fake.serve()
    base_url = serving.__enter__()
    with MeibelClient(api_key="k", base_url=base_url, max_retries=0) as client:
        session = client.agents.create_session(agent_id="a")
        with pytest.raises(InternalServerError, match="FakeSchemaError"):
            session.chat("hi")
    with pytest.raises(FakeSchemaError, match="sendChatMessage"):
        serving.__exit__(None, None, None)


def test_http_client_is_a_plain_httpx_client() -> None:
    fake = FakeMeibel()
    with fake.http_client() as http:
        assert isinstance(http, httpx2.Client)
        answer = http.post(
            "http://anything/v2/agents/a1/sessions", headers={"Meibel-API-Key": "k"}, json=None
        )
    assert answer.status_code == 200
    assert fake.sessions[answer.json()["session_id"]].agent_id == "a1"


def test_the_pytest_plugin_fixtures_are_installed(meibel_fake: FakeMeibel) -> None:
    meibel_fake.reply("from the plugin")
    with meibel_fake.client() as client:
        session = client.agents.create_session(agent_id="a")
        assert session.chat("hi").message == "from the plugin"
        assert [agent.id for agent in client.agents.list_agents(limit=1)] == ["a", "agent_123"]


def test_the_downstream_example_suite_passes() -> None:
    import subprocess
    import sys
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_support_bot.py"],
        cwd=examples,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
