"""FakeMeibel.seed for what the fake keeps by hand: jobs (deep transforms, scoring jobs, download
jobs, uploads), a datasource's tables and metadata catalog entries. Each is answered over HTTP as
if the API had made it: status, progress stream, files; an id nobody seeded is 404."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from meibel import ConflictError, MeibelClient, NotFoundError, StreamEventError
from meibel.models import TagColumnUpdateItem
from meibel.testing import FakeMeibel, FakeSchemaError


@pytest.fixture
def fake() -> FakeMeibel:
    fake = FakeMeibel(job_steps=1)
    fake.seed("datasources", "ds_1", name="Reports")
    return fake


@pytest.fixture
def client(fake: FakeMeibel) -> Iterator[MeibelClient]:
    """A client of the fake served over real HTTP."""
    with fake.serve() as base_url, MeibelClient(api_key="k", base_url=base_url, max_retries=0) as c:
        yield c


def _events(stream: Any) -> list[tuple[str, Any]]:
    with stream:
        return [(event.type, event.data) for event in stream]


def _status(model: Any) -> str:
    return str(getattr(model.status, "value", model.status))


def test_a_seeded_deep_transform_answers_its_status_and_artifacts(
    fake: FakeMeibel, client: MeibelClient
) -> None:
    seeded = fake.seed("deep-transform", "dt_done")
    assert (seeded["status"], seeded["artifacts"]) == ("succeeded", ["output.json"])
    fake.seed("deep-transform", "dt_graph", artifacts=["output.json", "graph.json"], aeq={"f1": 1})
    fake.seed("deep-transform", "dt_new", status="queued")
    fake.seed("deep-transform", "dt_bad", status="failed", error="schema too deep")
    documents = client.documents

    done = documents.get_deep_transform_status("dt_done")
    assert (done.status, done.artifacts, done.error) == ("succeeded", ["output.json"], None)
    assert done.metrics is not None
    assert (
        documents.download_deep_transform_artifact("output.json", job_id="dt_done").json()["job_id"]
        == "dt_done"
    )
    graph = documents.get_deep_transform_status("dt_graph")
    assert graph.artifacts == ["output.json", "graph.json"]
    assert graph.aeq is not None
    assert graph.aeq.additional_properties == {"f1": 1}
    artifact = documents.download_deep_transform_artifact("graph.json", job_id="dt_graph")
    assert artifact.text() == "graph.json of deep-transform job dt_graph\n"
    with pytest.raises(NotFoundError, match=r"Artifact graph\.json not found"):
        documents.download_deep_transform_artifact("graph.json", job_id="dt_done")

    # A queued one moves on per poll, as a submitted one does.
    assert [_status(documents.get_deep_transform_status("dt_new")) for _ in range(3)] == [
        "queued", "succeeded", "succeeded"
    ]  # fmt: skip
    failed = documents.get_deep_transform_status("dt_bad")
    assert (failed.status, failed.error, failed.artifacts) == ("failed", "schema too deep", [])
    with pytest.raises(ConflictError, match="schema too deep"):
        documents.download_deep_transform_artifact("output.json", job_id="dt_bad")
    listed = [job.job_id for job in documents.list_deep_transforms().jobs]
    assert listed == ["dt_done", "dt_graph", "dt_new", "dt_bad"]
    with pytest.raises(NotFoundError, match="Job dt_none not found"):
        documents.get_deep_transform_status("dt_none")


def test_a_seeded_scoring_job_answers_its_score_and_the_summaries(
    fake: FakeMeibel, client: MeibelClient
) -> None:
    context = {"customer_id": "c", "project_id": "p", "agent_name": "support", "agent_turn": 1}
    seeded = fake.seed("job", "score_a", module="correctness", agent_identity_context=context)
    assert (seeded["status"], seeded["score"]) == ("completed", 8)
    fake.seed("job", "score_b", score=4, explanation="Half right.", agent_identity_context=context)
    fake.seed("/confidence-scoring/job/{job_id}", "score_c", status="submitted")
    fake.seed("job", "score_d", status="failed", explanation="judge timed out")
    scoring = client.confidence_scoring

    got = scoring.get_scoring_job("score_a")
    assert (got.status, got.score, got.module) == ("completed", 8, "correctness")
    assert got.agent_identity_context.agent_name == "support"
    assert got.agent_identity_context.customer_id == "c"
    other = scoring.get_scoring_job("score_b")
    assert (other.score, other.explanation) == (4, "Half right.")
    summary = scoring.get_agent_scoring_summary("support")
    assert (summary.status, summary.aggregate_score, summary.job_ids) == (
        "completed", 6, ["score_a", "score_b"]
    )  # fmt: skip
    assert [t.turn for t in summary.turns or []] == [1]

    assert [_status(scoring.get_scoring_job("score_c")) for _ in range(3)] == [
        "submitted", "completed", "completed"
    ]  # fmt: skip
    failed = scoring.get_scoring_job("score_d")
    assert (failed.status, failed.score, failed.explanation) == ("failed", None, "judge timed out")
    assert {job.job_id for job in scoring.list_scoring_jobs()} == {f"score_{x}" for x in "abcd"}
    with pytest.raises(NotFoundError, match="Job score_none not found"):
        scoring.get_scoring_job("score_none")
    # A chat's scoring job takes a free id: the seeded ones stay as they are.
    fake.seed("job", "score_1", module="coherence")
    session = client.agents.create_session(agent_id="agent_123")
    session.chat("How was Q4?")
    (turn,) = scoring.list_scoring_jobs(agent_session_id=session.id)
    assert turn.job_id not in {"score_a", "score_b", "score_c", "score_d", "score_1"}
    assert scoring.get_scoring_job("score_1").module == "coherence"


def test_a_seeded_download_job_streams_its_progress_and_downloads(
    fake: FakeMeibel, client: MeibelClient
) -> None:
    seeded = fake.seed("downloads", "dl_1", datasource_id="ds_1")
    assert seeded == {
        "job_id": "dl_1",
        "status": "completed",
        "status_url": "/v2/datasources/ds_1/downloads/dl_1/progress",
    }
    fake.seed("downloads", "dl_new", datasource_id="ds_1", status="queued")
    fake.seed("downloads", "dl_bad", datasource_id="ds_1", status="failed", error="disk full")
    fake.seed("datasources", "ds_2")
    downloads = client.datasource_downloads

    events = _events(downloads.stream_download_progress("dl_1", datasource_id="ds_1"))
    assert [(kind, data["status"]) for kind, data in events] == [
        ("connected", "completed"), ("stream_complete", "completed")
    ]  # fmt: skip
    assert events[-1][1]["datasource_id"] == "ds_1"
    events = _events(downloads.stream_download_progress("dl_new", datasource_id="ds_1"))
    assert [kind for kind, _ in events] == ["connected", "progress", "stream_complete"]
    assert downloads.download_file("dl_1", datasource_id="ds_1").text().startswith("upload_id,")
    with pytest.raises(StreamEventError, match="disk full"):
        _events(downloads.stream_download_progress("dl_bad", datasource_id="ds_1"))
    with pytest.raises(ConflictError, match="disk full"):
        downloads.download_file("dl_bad", datasource_id="ds_1")
    with pytest.raises(NotFoundError, match="Job dl_1 not found"):  # another datasource's
        _events(downloads.stream_download_progress("dl_1", datasource_id="ds_2"))
    with pytest.raises(NotFoundError, match="Job dl_none not found"):
        _events(downloads.stream_download_progress("dl_none", datasource_id="ds_1"))


def test_a_seeded_upload_streams_its_progress(fake: FakeMeibel, client: MeibelClient) -> None:
    seeded = fake.seed("uploads", "up_1", datasource_id="ds_1", estimated_files=2)
    assert (seeded["sse_url"], seeded["message"]) == (
        "/v2/datasources/uploads/up_1/progress", "Uploading 2 file(s)"
    )  # fmt: skip
    fake.seed("uploads", "up_new", datasource_id="ds_1", status="processing")
    fake.seed("uploads", "up_bad", datasource_id="ds_1", status="failed", error="virus found")

    events = _events(client.file_upload.stream_upload_progress("up_1"))
    assert [(kind, data["status"]) for kind, data in events] == [
        ("connected", "completed"), ("stream_complete", "completed")
    ]  # fmt: skip
    assert events[0][1] == {
        "upload_id": "up_1", "datasource_id": "ds_1", "total_files": 2, "status": "completed"
    }  # fmt: skip
    events = _events(client.file_upload.stream_upload_progress("up_new"))
    assert [kind for kind, _ in events] == ["connected", "stream_complete"]
    assert fake.jobs["up_new"].status == "completed"
    with pytest.raises(StreamEventError, match="virus found"):
        _events(client.file_upload.stream_upload_progress("up_bad"))
    with pytest.raises(NotFoundError, match="Job up_none not found"):
        _events(client.file_upload.stream_upload_progress("up_none"))


def test_a_seeded_table_has_columns_to_list_and_describe(
    fake: FakeMeibel, client: MeibelClient
) -> None:
    columns = [{"column_name": "region", "type": "varchar"}, {"column_name": "total"}]
    seeded = fake.seed("tables", "orders", datasource_id="ds_1", columns=columns)
    assert seeded["columns"] == [
        {"column_name": "region", "description": None, "type": "varchar"},
        {"column_name": "total", "description": None, "type": None},
    ]
    fake.seed("tables", "refunds", datasource_id="ds_1", description="Money back")
    tables = client.table_descriptions

    assert [c.column_name for c in tables.list_columns("orders", datasource_id="ds_1")] == [
        "region", "total"
    ]  # fmt: skip
    described = tables.update_column_descriptions(
        "orders",
        datasource_id="ds_1",
        columns=[TagColumnUpdateItem(column_name="total", description="In euros")],
    )
    assert [c.description for c in described] == [None, "In euros"]
    listed = tables.list_tables("ds_1")
    assert [(t.table_name, t.description) for t in listed] == [
        ("orders", None), ("refunds", "Money back")
    ]  # fmt: skip
    datasource = client.datasources.get_datasource("ds_1", include_tables=True)
    assert [(t.name, t.column_count) for t in datasource.tables or []] == [
        ("orders", 2), ("refunds", 0)
    ]  # fmt: skip
    assert set(fake.tables["ds_1"]) == {"orders", "refunds"}
    with pytest.raises(NotFoundError, match="Table sales not found"):
        tables.list_columns("sales", datasource_id="ds_1")


def test_seeded_catalog_entries_are_listed_with_the_built_in_ones(
    fake: FakeMeibel, client: MeibelClient
) -> None:
    fields = [{"name": "patient", "type": "string", "description": "Who was treated"}]
    fake.seed("metadata-model-catalog", "medical_record", scope="health", fields=fields)
    catalog = client.metadata_model_catalog

    entry = catalog.get_metadata_model_catalog_entry("medical_record")
    assert (entry.name, entry.scope, [f.name for f in entry.fields]) == (
        "Medical record", "health", ["patient"]
    )  # fmt: skip
    assert [m.model_id for m in catalog.list_metadata_model_catalog(scope="health").models] == [
        "medical_record"
    ]
    everything = [m.model_id for m in catalog.list_metadata_model_catalog().models]
    assert everything == ["general_document", "invoice", "contract", "medical_record"]
    assert fake.metadata_models["medical_record"]["scope"] == "health"
    assert "medical_record" not in FakeMeibel().metadata_models  # each fake its own catalog
    with pytest.raises(NotFoundError, match="Metadata model nope not found"):
        catalog.get_metadata_model_catalog_entry("nope")


@pytest.mark.parametrize(
    ("resource", "fields", "message"),
    [
        ("deep-transform", {"status": 5}, r"seed\('deep-transform', 'the_id'\): status must be"),
        ("deep-transform", {"aeq": "good"}, r"DeepTransformJob .* at aeq"),
        ("deep-transform", {"artefacts": []}, r"no field 'artefacts' \(did you mean artifacts"),
        ("job", {"module": 5}, r"ScoringJobResponse .* at module: 5 is not"),
        ("job", {"agent_identity_context": {}}, r"'customer_id' is a required property"),
        ("downloads", {"datasource_id": "ds_1", "status_link": "x"}, r"no field 'status_link'"),
        ("downloads", {"datasource_id": "ds_1", "status": "failed", "error": 7}, r"error must"),
        ("uploads", {}, r"UploadContentResponse .* 'datasource_id' is a required property"),
        ("uploads", {"datasource_id": "ds_1", "estimated_files": "2"}, r"at estimated_files"),
        ("tables", {"datasource_id": "ds_1", "columns": [{"name": "x"}]}, r"'column_name' is a"),
        ("metadata-model-catalog", {"fields": [{"name": "x"}]}, r"MetadataModelCatalogEntry"),
    ],
)
def test_a_field_the_spec_does_not_allow_is_a_schema_error(
    fake: FakeMeibel, resource: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(FakeSchemaError, match=message):
        fake.seed(resource, "the_id", **fields)
    assert "the_id" not in fake.jobs
    assert "the_id" not in fake.tables.get("ds_1", {})
    assert "the_id" not in fake.metadata_models


@pytest.mark.parametrize(
    ("resource", "fields", "message"),
    [
        ("deep-transform", {"metrics": {}}, r"metrics is the fake's to set"),
        ("deep-transform", {"error": "x"}, r"an error goes with status 'failed', not 'succeeded'"),
        ("deep-transform", {"status": "running", "artifacts": ["a"]}, r"once it has 'succeeded'"),
        ("job", {"status": "in_progress", "score": 3}, r"a score goes with status 'completed'"),
        ("job", {"status": "submitted", "explanation": "x"}, r"an explanation goes with"),
        ("job", {"score": None}, r"a 'completed' job has a score"),
        ("downloads", {}, r"seed\('downloads', 'the_id'\): downloads live under a parent: pass"),
        ("downloads", {"datasource_id": "ds_x"}, r"datasource_id 'ds_x' is not in the fake"),
        ("downloads", {"datasource_id": "ds_1", "status_url": "/x"}, r"status_url is the fake's"),
        ("uploads", {"datasource_id": "ds_x"}, r"datasource_id 'ds_x' is not in the fake"),
        ("uploads", {"datasource_id": "ds_1", "status": "done"}, r"'done' is not one of queued"),
        ("tables", {}, r"tables live under a parent: pass datasource_id=\.\.\."),
        ("tables", {"datasource_id": "ds_x"}, r"datasource_id 'ds_x' is not in the fake"),
    ],
)
def test_a_seed_the_fake_could_not_have_made_is_refused(
    fake: FakeMeibel, resource: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fake.seed(resource, "the_id", **fields)
    assert "the_id" not in fake.jobs
    assert "the_id" not in fake.tables.get("ds_1", {})


@pytest.mark.parametrize(
    ("resource", "fields", "message"),
    [
        ("deep-transform", {}, r"seed\('deep-transform', 'taken'\): it is already in the fake"),
        ("job", {}, r"seed\('job', 'taken'\): it is already in the fake \(a scoring job\)"),
        ("downloads", {"datasource_id": "ds_1"}, r"seed\('downloads', 'taken'\): it is already"),
        ("uploads", {"datasource_id": "ds_1"}, r"seed\('uploads', 'taken'\): it is already"),
        ("tables", {"datasource_id": "ds_1"}, r"seed\('tables', 'taken'\): datasource 'ds_1' has"),
        ("metadata-model-catalog", {}, r"seed\('metadata-model-catalog', 'taken'\): it is alre"),
    ],
)
def test_a_second_seed_of_an_id_names_the_resource(
    fake: FakeMeibel, resource: str, fields: dict[str, Any], message: str
) -> None:
    fake.seed(resource, "taken", **fields)
    with pytest.raises(ValueError, match=message):
        fake.seed(resource, "taken", **fields)


def test_jobs_of_every_kind_share_their_ids_and_job_id_names_no_one_resource() -> None:
    fake = FakeMeibel()
    fake.seed("documents", "job_1")
    with pytest.raises(ValueError, match=r"'job_1'\): a document job has that id already"):
        fake.seed("deep-transform", "job_1")
    with pytest.raises(ValueError, match=r"'job_id' names 4 resources: pass 'downloads' or"):
        fake.seed("job_id", "job_2")
    assert fake.seed("upload_id", "up_1", datasource_id=fake.seed("datasources")["id"])
    assert "invoice" in fake.metadata_models
    with pytest.raises(ValueError, match=r"'metadata-model-catalog', 'invoice'\): it is already"):
        fake.seed("model_id", "invoice")


def test_the_new_resources_are_seedable_and_say_what_they_take() -> None:
    fake = FakeMeibel()
    seedable = fake.seedable()
    assert {name: seedable[name] for name in ("deep-transform", "job", "downloads", "uploads")} == {
        "deep-transform": "/documents/deep-transform/{job_id}",
        "job": "/confidence-scoring/job/{job_id}",
        "downloads": "/datasources/{datasource_id}/downloads/{job_id}",
        "uploads": "/datasources/uploads/{upload_id}",
    }
    assert seedable["tables"] == "/datasources/{datasource_id}/tables/{table_name}"
    assert seedable["metadata-model-catalog"] == "/metadata-model-catalog/{model_id}"
    assert fake.seed_fields("downloads") == ["datasource_id", "error", "job_id", "status"]
    assert fake.seed_fields("tables") == ["columns", "datasource_id", "description", "table_name"]
    assert "file" in fake.seed_fields("documents")
    assert "pages" not in fake.seed_fields("documents")
