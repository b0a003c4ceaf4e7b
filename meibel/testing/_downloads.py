"""The fake's downloads: download jobs, and real, deterministic file bodies built from its state.

- createDownloadJob starts a "download" job, followed with streamDownloadProgress.
- downloadFile / processDownload: a CSV manifest of the files stored in the datasource (404 for
  an unknown datasource; 409 for a download job that failed; a job id the fake did not start is
  accepted). `data_element_ids` in the job's request narrow the manifest to those elements.
- getDocumentResult: the parse job's result as markdown, annotated markdown, or JSON (`docling`,
  `json`); 404 for an unknown job, 409 for a failed one, 400 for another format.
- downloadDeepTransformArtifact: an artifact the job lists (`output.json`, unless it was seeded with
  others), 409 if the job failed; 404 for another name.
"""

from __future__ import annotations

import csv
import io
import json
import mimetypes
from typing import Any

from ._answer import Answer, HTTPError
from ._documents import ARTIFACTS
from ._jobs import progress_events
from ._state import PREFIX, FakeState

__all__ = ["FakeDownloads", "file_answer"]

_FORMATS = ("markdown", "annotated", "docling", "json")


def file_answer(content: bytes, filename: str, content_type: str) -> Answer:
    """A 200 whose body is a file, with the headers the real API sends with it.

    The spec gives these operations the empty schema `{}`, which any body matches.
    """
    disposition = f'attachment; filename="{filename}"'
    headers = {"Content-Type": content_type, "Content-Disposition": disposition}
    return Answer(200, headers=headers, content=content)


class FakeDownloads(FakeState):
    """FakeMeibel's download jobs, and the four operations that answer with a file."""

    def _manifest(self, datasource_id: str, element_ids: list[str] | None = None) -> bytes:
        self._datasource(datasource_id)
        names = None
        if element_ids:
            names = {e["name"] for key, e in self._data_elements.items() if key in element_ids}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["upload_id", "filename", "content_type", "bytes"])
        for upload in self.uploads:
            if upload.datasource_id == datasource_id:
                for part in upload.files:
                    if names is None or part.filename in names:
                        row = [upload.upload_id, part.filename, part.content_type, len(part.data)]
                        writer.writerow(row)
        return out.getvalue().encode()

    def _not_failed(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None and job.failed:
            raise HTTPError(409, f"Job {job_id} failed: {job.error}")

    def _op_createDownloadJob(
        self, *, params: dict[str, str], json: dict[str, Any] | None, **_: Any
    ) -> Answer:
        datasource_id = self._datasource(params["datasource_id"])["id"]
        request = json or {}
        job = self._new_job(
            "download", self._id("download"), datasource_id=datasource_id, request=request
        )
        url = f"{PREFIX}/datasources/{datasource_id}/downloads/{job.job_id}/progress"
        return Answer(200, {"job_id": job.job_id, "status": job.status, "status_url": url})

    def _op_streamDownloadProgress(self, *, params: dict[str, str], **_: Any) -> Answer:
        datasource_id = self._datasource(params["datasource_id"])["id"]
        job = self._job("download", params["job_id"])
        if job.info["datasource_id"] != datasource_id:
            raise HTTPError(404, f"Job {job.job_id} not found")
        ids = {"job_id": job.job_id, "datasource_id": datasource_id}
        return Answer(200, events=progress_events("streamDownloadProgress", job, ids))

    def _op_downloadFile(self, *, params: dict[str, str], **_: Any) -> Answer:
        datasource_id, job_id = params["datasource_id"], params["job_id"]
        self._datasource(datasource_id)
        self._not_failed(job_id)
        job = self._jobs.get(job_id)
        request = (job.info.get("request") or {}) if job is not None else {}
        manifest = self._manifest(datasource_id, request.get("data_element_ids"))
        return file_answer(manifest, f"{datasource_id}-{job_id}.csv", "text/csv; charset=utf-8")

    def _op_processDownload(
        self, *, params: dict[str, str], json: dict[str, Any] | None, **_: Any
    ) -> Answer:
        datasource_id = params["datasource_id"]
        manifest = self._manifest(datasource_id, (json or {}).get("data_element_ids"))
        return file_answer(manifest, f"{datasource_id}-export.csv", "text/csv; charset=utf-8")

    def _op_getDocumentResult(
        self, *, params: dict[str, str], query: dict[str, str], **_: Any
    ) -> Answer:
        job_id = params["job_id"]
        job = self._parse_jobs.get(job_id)
        if job is None:
            raise HTTPError(404, f"Job {job_id} not found")
        self._not_failed(job_id)
        kind = query.get("format", "markdown")
        if kind not in _FORMATS:
            raise HTTPError(400, f"Unsupported format {kind!r}: one of {', '.join(_FORMATS)}")
        name = job.file.filename or "document"
        stem = name.rpartition(".")[0] or name
        text = f"Parsed by FakeMeibel from {len(job.file.data)} bytes."
        if kind in ("docling", "json"):
            document = {"job_id": job_id, "filename": name, "pages": 1, "text": text}
            content = json.dumps(document, indent=2).encode() + b"\n"
            return file_answer(content, f"{stem}.json", "application/json")
        if kind == "annotated":
            markdown = f"<!-- page 1 -->\n# {name}\n\n<!-- paragraph -->\n{text}\n"
        else:
            markdown = f"# {name}\n\n{text}\n"
        return file_answer(markdown.encode(), f"{stem}.md", "text/markdown; charset=utf-8")

    def _op_downloadDeepTransformArtifact(self, *, params: dict[str, str], **_: Any) -> Answer:
        job_id, name = params["job_id"], params["name"]
        job = self._jobs.get(job_id)
        listed = ARTIFACTS
        if job is not None and job.kind == "deep_transform":
            listed = tuple(job.info.get("artifacts", ARTIFACTS))
        if name not in listed:
            raise HTTPError(404, f"Artifact {name} not found for job {job_id}")
        self._not_failed(job_id)
        if name == "output.json":
            output = {"job_id": job_id, "fields": {"title": "Q4 report", "revenue_growth": "12%"}}
            return file_answer(
                json.dumps(output, indent=2).encode() + b"\n", name, "application/json"
            )
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return file_answer(f"{name} of deep-transform job {job_id}\n".encode(), name, kind)
