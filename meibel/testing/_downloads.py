"""The fake's download operations: real, deterministic file bodies built from its state.

- downloadFile / processDownload: a CSV manifest of what was uploaded to the datasource (404 for
  an unknown datasource; any job id is accepted, as the fake runs no download jobs).
- getDocumentResult: the parse job's result as markdown, annotated markdown, or JSON (`docling`,
  `json`); 404 for an unknown job, 400 for another format.
- downloadDeepTransformArtifact: `output.json` for any job id; 404 for another name.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._records import ParseJob, Upload

__all__ = ["FakeDownloads", "FileAnswer"]

_FORMATS = ("markdown", "annotated", "docling", "json")


@dataclass
class FileAnswer:
    """A 200 whose body is a file: what the transports send for an answer without events.

    They send `json_bytes()` as the body, so this answers with the file's bytes (the spec gives
    these operations the empty schema `{}`, which any body matches). `headers` are the ones the
    real API sends with the file.
    """

    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    body: object = None
    events: None = None
    drop: bool = False

    def json_bytes(self) -> bytes:
        return self.content


def _file(content: bytes, filename: str, content_type: str) -> FileAnswer:
    disposition = f'attachment; filename="{filename}"'
    return FileAnswer(content, {"Content-Type": content_type, "Content-Disposition": disposition})


def _not_found(detail: str) -> Exception:
    from ._fake import _HTTPError

    return _HTTPError(404, detail)


class FakeDownloads:
    """FakeMeibel's handlers for the four operations that answer with a file."""

    if TYPE_CHECKING:
        uploads: list[Upload]
        parse_jobs: dict[str, ParseJob]

        def _datasource(self, datasource_id: str) -> dict[str, Any]: ...

    def _manifest(self, datasource_id: str) -> bytes:
        self._datasource(datasource_id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["upload_id", "filename", "content_type", "bytes"])
        for upload in self.uploads:
            if upload.datasource_id == datasource_id:
                for part in upload.files:
                    row = [upload.upload_id, part.filename, part.content_type, len(part.data)]
                    writer.writerow(row)
        return out.getvalue().encode()

    def _op_downloadFile(self, *, params: dict[str, str], **_: Any) -> FileAnswer:
        datasource_id = params["datasource_id"]
        filename = f"{datasource_id}-{params['job_id']}.csv"
        return _file(self._manifest(datasource_id), filename, "text/csv; charset=utf-8")

    def _op_processDownload(self, *, params: dict[str, str], **_: Any) -> FileAnswer:
        datasource_id = params["datasource_id"]
        manifest = self._manifest(datasource_id)
        return _file(manifest, f"{datasource_id}-export.csv", "text/csv; charset=utf-8")

    def _op_getDocumentResult(
        self, *, params: dict[str, str], query: dict[str, str], **_: Any
    ) -> FileAnswer:
        job_id = params["job_id"]
        job = self.parse_jobs.get(job_id)
        if job is None:
            raise _not_found(f"Job {job_id} not found")
        kind = query.get("format", "markdown")
        if kind not in _FORMATS:
            from ._fake import _HTTPError

            raise _HTTPError(400, f"Unsupported format {kind!r}: one of {', '.join(_FORMATS)}")
        name = job.file.filename or "document"
        stem = name.rpartition(".")[0] or name
        text = f"Parsed by FakeMeibel from {len(job.file.data)} bytes."
        if kind in ("docling", "json"):
            document = {"job_id": job_id, "filename": name, "pages": 1, "text": text}
            content = json.dumps(document, indent=2).encode() + b"\n"
            return _file(content, f"{stem}.json", "application/json")
        if kind == "annotated":
            markdown = f"<!-- page 1 -->\n# {name}\n\n<!-- paragraph -->\n{text}\n"
        else:
            markdown = f"# {name}\n\n{text}\n"
        return _file(markdown.encode(), f"{stem}.md", "text/markdown; charset=utf-8")

    def _op_downloadDeepTransformArtifact(self, *, params: dict[str, str], **_: Any) -> FileAnswer:
        job_id, name = params["job_id"], params["name"]
        if name != "output.json":
            raise _not_found(f"Artifact {name} not found for job {job_id}")
        output = {"job_id": job_id, "fields": {"title": "Q4 report", "revenue_growth": "12%"}}
        return _file(json.dumps(output, indent=2).encode() + b"\n", name, "application/json")
