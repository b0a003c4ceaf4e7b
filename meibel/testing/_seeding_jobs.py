"""Seeding jobs: what `seed()` makes of a document parse, a deep transform, a scoring job, a
download job or an upload, and how the fake keeps it (see _seeding.py for `seed()` itself).

A seeded job is in its kind's done status unless `status=` says otherwise (JOB_STATES); a queued
or processing one then moves on with each poll or progress event as a started one does, and a
failed one carries its reason (`error=`, a scoring job's `explanation=`). Each `_seed_record_*`
method makes the record the job's status operation would answer now, which seed() checks
against the spec; each `_seed_*` method keeps the job.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from ._documents import DocumentHandlers, document_status
from ._elements import ElementHandlers
from ._jobs import JOB_STATES, Job, now
from ._records import FilePart, ParseJob
from ._schema import FakeSchemaError
from ._scoring import CONTEXT
from ._sessions import SessionHandlers
from ._state import PREFIX

__all__ = ["DEFAULT_DOCUMENT", "JobSeeding"]

DEFAULT_DOCUMENT = FilePart("file", "document.pdf", "application/pdf", b"%PDF-1.7\n%seeded\n")
_FAILURE = "Fake failure"


def _file_part(value: object) -> FilePart:
    """A document's file: a FilePart, or (filename, bytes[, content type])."""
    if isinstance(value, FilePart):
        return value
    if isinstance(value, tuple) and len(value) in (2, 3) and isinstance(value[1], bytes):
        name = str(value[0])
        kind = value[2] if len(value) == 3 else mimetypes.guess_type(name)[0]
        return FilePart("file", name, kind, value[1])
    raise TypeError(
        f"file= takes (filename, bytes) or (filename, bytes, content_type), not {value!r}"
    )


def _where(resource: str, job_id: str) -> str:
    return f"seed({resource!r}, {job_id!r})"


def _text(where: str, name: str, value: object) -> str | None:
    """A field's text: None or a str (the record's schema checks the others, this checks the
    extras too)."""
    if value is not None and not isinstance(value, str):
        raise FakeSchemaError(f"{where}: {name} must be a str, not {value!r}")
    return value


def _status(kind: str, where: str, fields: dict[str, Any], reason: str = "error") -> str:
    """The status of a seeded job (its kind's done status when left out); the failure reason
    (`reason`) goes with the failed status only."""
    states = JOB_STATES[kind]
    status = _text(where, "status", fields.get("status", states[2]))
    if status not in states:
        raise ValueError(
            f"{where}: status {status!r} is not one of {', '.join(states)} (a "
            f"{kind.replace('_', '-')} job's)"
        )
    if fields.get(reason) is not None and status != states[3]:
        raise ValueError(f"{where}: an {reason} goes with status {states[3]!r}, not {status!r}")
    return str(status)


class JobSeeding(SessionHandlers, DocumentHandlers, ElementHandlers):
    """The `_seed_record_<resource>` and `_seed_<resource>` methods of the jobs."""

    def _seeded_job(self, kind: str, job_id: str, status: str, error: str | None) -> Job:
        """A job of `kind` in `status`, polled as far as a started one would be."""
        states = JOB_STATES[kind]
        job = Job(
            kind, job_id, self.job_steps, (error or _FAILURE) if status == states[3] else None
        )
        job.status = status
        # A queued job's next poll is its first; a processing one has been polled once.
        job.polls = {states[0]: 0, states[1]: 1}.get(status, self.job_steps + 1)
        if job.terminal:
            job.finished_at = now()
        return job

    # ----- document parses ----------------------------------------------------------------

    def _seed_record_documents(
        self, job_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        part = _file_part(fields.pop("file", DEFAULT_DOCUMENT))
        fields["file"] = part  # kept for _seed_documents, not part of the record
        status = _status("document", _where("documents", job_id), fields)
        failed = status == JOB_STATES["document"][3]
        error = (fields.get("error") or _FAILURE) if failed else None
        return document_status(job_id, status, part, error)

    def _seed_documents(
        self, record: dict[str, Any], fields: dict[str, Any], _: dict[str, str], __: str
    ) -> None:
        job = self._seeded_job("document", record["job_id"], record["status"], record["error"])
        self._jobs[job.job_id] = job
        self._parse_jobs[job.job_id] = ParseJob(job.job_id, fields["file"], job.status)

    # ----- deep transforms ----------------------------------------------------------------

    def _seed_record_deep_transform(
        self, job_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        where = _where("deep-transform", job_id)
        status = _status("deep_transform", where, fields)
        done = JOB_STATES["deep_transform"][2]
        if fields.get("artifacts") and status != done:
            raise ValueError(
                f"{where}: a job lists its artifacts once it has {done!r}, not {status!r}"
            )
        job = self._seeded_job("deep_transform", job_id, status, fields.get("error"))
        return {**self._deep_job(job), **fields}

    def _seed_deep_transform(
        self, record: dict[str, Any], _: dict[str, Any], __: dict[str, str], ___: str
    ) -> None:
        job = self._seeded_job(
            "deep_transform", record["job_id"], record["status"], record["error"]
        )
        job.info.update(aeq=record["aeq"])
        if record["status"] == JOB_STATES["deep_transform"][2]:
            job.info["artifacts"] = list(record["artifacts"])
        self._jobs[job.job_id] = job

    # ----- scoring jobs -------------------------------------------------------------------

    def _seed_record_job(
        self, job_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        where = _where("job", job_id)
        status = _status("scoring", where, {k: v for k, v in fields.items() if k != "explanation"})
        submitted, in_progress, completed, failed = JOB_STATES["scoring"]
        if fields.get("score") is not None and status != completed:
            raise ValueError(f"{where}: a score goes with status {completed!r}, not {status!r}")
        if "score" in fields and fields["score"] is None and status == completed:
            raise ValueError(f"{where}: a {completed!r} job has a score (8 when left out)")
        if fields.get("explanation") is not None and status in (submitted, in_progress):
            raise ValueError(
                f"{where}: an explanation goes with status {completed!r} or {failed!r} (the "
                f"failure's reason), not {status!r}"
            )
        job = self._seeded_job("scoring", job_id, status, fields.get("explanation"))
        job.info["module"] = "faithfulness"
        return {**self._scoring(job), **fields}

    def _seed_job(
        self, record: dict[str, Any], _: dict[str, Any], __: dict[str, str], ___: str
    ) -> None:
        job = self._seeded_job("scoring", record["job_id"], record["status"], record["explanation"])
        context = record["agent_identity_context"]
        job.info.update({name: context.get(name) for name in CONTEXT})
        job.info.update(module=record["module"], customer_id=context["customer_id"])
        job.info.update(project_id=context["project_id"])
        if record["status"] == JOB_STATES["scoring"][2]:
            job.info.update(score=record["score"], explanation=record["explanation"])
        self._jobs[job.job_id] = job

    # ----- download jobs ------------------------------------------------------------------

    def _seed_record_downloads(
        self, job_id: str, fields: dict[str, Any], parents: dict[str, str]
    ) -> dict[str, Any]:
        status = _status("download", _where("downloads", job_id), fields)
        url = f"{PREFIX}/datasources/{parents['datasource_id']}/downloads/{job_id}/progress"
        record = {"job_id": job_id, "status": status, "status_url": url}
        return {**record, **{k: v for k, v in fields.items() if k != "error"}}

    def _seed_downloads(
        self, record: dict[str, Any], fields: dict[str, Any], parents: dict[str, str], where: str
    ) -> None:
        error = _text(where, "error", fields.get("error"))
        job = self._seeded_job("download", record["job_id"], record["status"], error)
        job.info.update(datasource_id=parents["datasource_id"], request={})
        self._jobs[job.job_id] = job

    # ----- uploads ------------------------------------------------------------------------

    def _seed_record_uploads(
        self, upload_id: str, fields: dict[str, Any], _: dict[str, str]
    ) -> dict[str, Any]:
        _status("upload", _where("uploads", upload_id), fields)
        files = fields.get("estimated_files")
        upload = {
            "success": True,
            "message": f"Uploading {files if isinstance(files, int) else 0} file(s)",
            "upload_id": upload_id,
            "sse_url": f"{PREFIX}/datasources/uploads/{upload_id}/progress",
            "estimated_files": 0,
            "estimated_size": 0,
        }
        return {**upload, **{k: v for k, v in fields.items() if k not in ("status", "error")}}

    def _seed_uploads(
        self, record: dict[str, Any], fields: dict[str, Any], _: dict[str, str], where: str
    ) -> None:
        status = _status("upload", where, fields)
        error = _text(where, "error", fields.get("error"))
        job = self._seeded_job("upload", record["upload_id"], status, error)
        job.info.update(datasource_id=record["datasource_id"])
        job.info["files"] = record.get("estimated_files") or 0
        self._jobs[job.job_id] = job
