"""Documents: parse jobs and their results, sync parsing and transforms, deep transforms, moves.

parseDocument starts a "document" job (getDocumentStatus and streamDocumentTrace move it on);
submitDeepTransform(FromDocument) a "deep_transform" job (getDeepTransformStatus). A parsed
document is one page: a title (the file's name) and a line of text.
"""

from __future__ import annotations

import io
import json as jsonlib
import mimetypes
import zipfile
from typing import Any

from ._answer import Answer, HTTPError
from ._datasources import DatasourceHandlers
from ._jobs import Job, progress_events
from ._records import FilePart, ParseJob
from ._routing import integer, missing

__all__ = ["ARTIFACTS", "DocumentHandlers", "parsed_text"]

ARTIFACTS = ("output.json",)  # what a deep transform that succeeded lists


def parsed_text(part: FilePart) -> str:
    """The text the fake "finds" in a document."""
    return f"Parsed by FakeMeibel from {len(part.data)} bytes."


def _file(files: list[FilePart], name: str = "file") -> FilePart:
    part = next((part for part in files if part.field == name), None)
    if part is None:
        raise HTTPError(422, [missing(name)])
    return part


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        value = jsonlib.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        detail = {"type": "value_error", "loc": ["body", name], "msg": "Not a JSON object"}
        raise HTTPError(422, [{**detail, "input": text}])
    return value


def _extract(schema: dict[str, Any], part: FilePart) -> dict[str, Any]:
    """A value for every property of `schema`, as an extraction from `part` would give."""
    values: dict[str, Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        kind = str(sub.get("type")) if isinstance(sub, dict) else ""
        defaults = {"number": 0.0, "integer": 0, "boolean": False, "array": [], "object": {}}
        values[name] = defaults.get(kind, f"{name} from {part.filename or 'the document'}")
    return values


def _structured(part: FilePart) -> dict[str, Any]:
    def element(order: int, label: str, text: str, y: float) -> dict[str, Any]:
        box = {"x0": 72.0, "y0": y, "x1": 540.0, "y1": y + 24.0}
        return {"bbox": box, "confidence": 0.98, "label": label, "reading_order": order,
                "text": text}  # fmt: skip

    elements = [
        element(0, "Title", part.filename or "document", 72.0),
        element(1, "Text", parsed_text(part), 120.0),
    ]
    page = {
        "page_number": 1,
        "page_bbox": {"x0": 0.0, "y0": 0.0, "x1": 612.0, "y1": 792.0},
        "elements": elements,
    }
    confidence = {
        "mean_layout_confidence": 0.98,
        "min_layout_confidence": 0.98,
        "num_elements": len(elements),
        "num_tables": 0,
    }
    return {"num_pages": 1, "pages": [page], "confidence": confidence, "format": "meibel"}


def _document_result(part: FilePart) -> dict[str, Any]:
    elements = [
        {"type": "title", "text": part.filename or "document", "page": 1, "level": 1},
        {"type": "text", "text": parsed_text(part), "page": 1},
    ]
    return {"pages": 1, "tables": 0, "elements": elements, "metadata": {"filename": part.filename}}


def document_status(job_id: str, status: str, file: FilePart, error: str | None) -> dict[str, Any]:
    """getDocumentStatus's answer for a parse of `file` in `status`: its figures once done."""
    filename = file.filename or ""
    done = status == "completed"
    return {
        "job_id": job_id,
        "status": status,
        "format": filename.rpartition(".")[2].lower() if "." in filename else "unknown",
        "pages": 1 if done else None,
        "elements": 2 if done else None,
        "tables": 0 if done else None,
        "processing_time_ms": 0 if done else None,
        "confidence": 0.98 if done else None,
        "error": error,
    }


class DocumentHandlers(DatasourceHandlers):
    """The Documents operations, except the two file answers (in _downloads.py)."""

    def _parse_job(self, job_id: str) -> tuple[ParseJob, Job]:
        parse = self._parse_jobs.get(job_id)
        if parse is None:
            raise HTTPError(404, f"Job {job_id} not found")
        return parse, self._job("document", job_id)

    def _parsed(self, job_id: str) -> ParseJob:
        """A parse job that has not failed (a failed one has no result: 409)."""
        parse, job = self._parse_job(job_id)
        if job.failed:
            raise HTTPError(409, f"Job {job_id} failed: {job.error}")
        return parse

    def _op_parseDocument(self, *, files: list[FilePart], **_: Any) -> Answer:
        part = _file(files)
        job = self._new_job("document", self._id("job"))
        parse = ParseJob(job.job_id, part, job.status)
        self._parse_jobs[job.job_id] = parse
        return Answer(200, {"job_id": job.job_id, "status": parse.status})

    def _op_getDocumentStatus(self, *, params: dict[str, str], **_: Any) -> Answer:
        parse, job = self._parse_job(params["job_id"])
        parse.status = job.poll()
        return Answer(200, document_status(job.job_id, job.status, parse.file, job.error))

    def _op_streamDocumentTrace(self, *, params: dict[str, str], **_: Any) -> Answer:
        parse, job = self._parse_job(params["job_id"])
        steps = ("layout_detected", "ocr_page")
        events = progress_events(
            "streamDocumentTrace", job, {"job_id": job.job_id}, start=None, steps=steps,
            done="completed",
        )  # fmt: skip
        parse.status = job.status
        return Answer(200, events=events)

    def _op_getDocumentStructuredResult(self, *, params: dict[str, str], **_: Any) -> Answer:
        return Answer(200, _structured(self._parsed(params["job_id"]).file))

    def _op_listDocumentChildren(self, *, params: dict[str, str], **_: Any) -> Answer:
        parse, job = self._parse_job(params["job_id"])
        if not zipfile.is_zipfile(io.BytesIO(parse.file.data)):
            return Answer(200, [])
        with zipfile.ZipFile(io.BytesIO(parse.file.data)) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
        children = [
            {
                "job_id": f"{job.job_id}_child_{index}",
                "filename": name,
                "media_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                "status": job.status,
            }
            for index, name in enumerate(names, start=1)
        ]
        return Answer(200, children)

    def _op_processDocument(
        self, *, query: dict[str, str], files: list[FilePart], **_: Any
    ) -> Answer:
        part = _file(files)
        kind = query.get("format", "markdown")
        job = Job("document", self._id("job"), 0, status="completed")
        self._jobs[job.job_id] = job
        self._parse_jobs[job.job_id] = ParseJob(job.job_id, part, job.status)
        if kind in ("markdown", "annotated"):
            result: object = f"# {part.filename or 'document'}\n\n{parsed_text(part)}\n"
        else:
            result = _document_result(part)
        return Answer(200, {"job_id": job.job_id, "status": job.status, "result": result})

    def _artifact_schema(self, reference: str) -> dict[str, Any]:
        """`artifact_schema`: a JSON Schema as JSON text, or an artifact schema's id or name."""
        if reference.lstrip().startswith("{"):
            return _json_object(reference, "artifact_schema")
        for artifact in self._artifact_schemas.values():
            if reference in (artifact["id"], artifact["name"]):
                schema: dict[str, Any] = artifact["schema_def"]
                return schema
        raise HTTPError(404, f"Artifact schema {reference} not found")

    def _op_transformDocument(
        self, *, form: dict[str, str], files: list[FilePart], **_: Any
    ) -> Answer:
        part = _file(files)
        schema = self._artifact_schema(form.get("artifact_schema", ""))
        usage = {"input_tokens": len(part.data), "output_tokens": 16}
        body = {"execution_id": self._id("exec"), "data": _extract(schema, part)}
        return Answer(200, {**body, "token_usage": usage})

    def _op_submitDocumentTransform(
        self, *, form: dict[str, str], files: list[FilePart], **_: Any
    ) -> Answer:
        _file(files)
        self._artifact_schema(form.get("artifact_schema", ""))
        return Answer(200, {"execution_id": self._id("exec")})

    # ----- deep transforms ----------------------------------------------------------------

    def _deep(self, part: FilePart, schema: dict[str, Any], root: str | None) -> Answer:
        root_name = root or str(schema.get("title") or "root")
        job = self._new_job("deep_transform", self._id("dt"), file=part, schema=schema)
        job.info["root_name"] = root_name
        return Answer(200, {"job_id": job.job_id})

    def _op_submitDeepTransform(
        self, *, form: dict[str, str], files: list[FilePart], **_: Any
    ) -> Answer:
        part = _file(files)
        if "schema" not in form:
            raise HTTPError(422, [missing("schema")])
        return self._deep(part, _json_object(form["schema"], "schema"), form.get("root_name"))

    def _op_submitDeepTransformFromDocument(self, *, json: dict[str, Any], **_: Any) -> Answer:
        parse = self._parsed(json["document_job_id"])
        return self._deep(parse.file, json["schema"], json.get("root_name"))

    def _deep_job(self, job: Job) -> dict[str, Any]:
        succeeded = job.status == "succeeded"
        metrics = {"wall_ms": 1000 * job.steps, "failed_unit_count": int(job.failed)}
        return {
            "job_id": job.job_id,
            "status": job.status,
            "artifacts": list(job.info.get("artifacts", ARTIFACTS)) if succeeded else [],
            "error": job.error,
            "metrics": metrics if job.terminal else None,
            "aeq": job.info.get("aeq"),
        }

    def _op_getDeepTransformStatus(self, *, params: dict[str, str], **_: Any) -> Answer:
        job = self._job("deep_transform", params["job_id"])
        job.poll()
        return Answer(200, self._deep_job(job))

    def _op_listDeepTransforms(self, *, query: dict[str, str], **_: Any) -> Answer:
        jobs = [self._deep_job(job) for job in self._jobs.values() if job.kind == "deep_transform"]
        offset = max(0, integer(query, "offset", 0))
        limit = max(1, integer(query, "limit", 50))
        following = offset + limit if offset + limit < len(jobs) else None
        body = {"jobs": jobs[offset : offset + limit], "offset": offset, "limit": limit}
        return Answer(200, {**body, "next_offset": following})

    # ----- moving parsed documents into a datasource -------------------------------------

    def _op_moveDocuments(self, *, json: dict[str, Any], **_: Any) -> Answer:
        parts = [self._parsed(job_id).file for job_id in json["documents"]]
        if json.get("datasource_id"):
            datasource = self._datasource(json["datasource_id"])
        elif json.get("new_datasource_name"):
            created = {"name": json["new_datasource_name"]}
            if json.get("metadata_config"):
                created["metadata_config"] = json["metadata_config"]
            datasource = self._new_datasource(created)
        else:
            detail = missing("datasource_id")
            raise HTTPError(422, [{**detail, "msg": "datasource_id or new_datasource_name"}])
        workflow = self._id("move")
        self._store(datasource, workflow, parts)
        body = {"datasource_id": datasource["id"], "documents_count": len(parts)}
        return Answer(200, {**body, "workflow_id": workflow})
