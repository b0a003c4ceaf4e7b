"""Datasources: CRUD, their content (uploads, listing, upload progress) and ingest.

Each uploaded file is stored by name (a later upload of the same name replaces it), becomes a
data element, and a CSV file becomes a table (its header row the columns). uploadContent starts
an "upload" job (followed with streamUploadProgress); triggerIngest an "ingest" job (polled with
getIngestStatus).
"""

from __future__ import annotations

import csv
import hashlib
import io
import mimetypes
from typing import Any

from ._answer import Answer, HTTPError
from ._jobs import Job, now, progress_events
from ._records import FilePart, Upload
from ._routing import flag, integer, missing
from ._state import PREFIX, FakeState

__all__ = ["DatasourceHandlers"]


def _media_type(part: FilePart) -> str:
    guessed = mimetypes.guess_type(part.filename or "")[0]
    return part.content_type or guessed or "application/octet-stream"


def _columns(data: bytes) -> list[dict[str, Any]]:
    """A CSV file's columns: names from its header row, types guessed from the next row."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", "replace"))))[:2]
    header, first = [*rows, [], []][:2]

    def kind(value: str) -> str:
        for name, parse in (("integer", int), ("float", float)):
            try:
                parse(value)
            except ValueError:
                continue
            return name
        return "string"

    types = [kind(value) for value in first] + ["string"] * len(header)
    return [
        {"column_name": name, "description": None, "type": types[index]}
        for index, name in enumerate(header)
    ]


class DatasourceHandlers(FakeState):
    """The Datasources, File Upload and Ingest operations."""

    # ----- datasources --------------------------------------------------------------------

    def _op_listDatasources(self, **_: Any) -> Answer:
        return Answer(200, {"datasources": list(self._datasources.values())})

    @staticmethod
    def _connector(connector: dict[str, Any]) -> dict[str, Any]:
        summary: dict[str, Any] = {"type": connector["type"]}
        if connector.get("cloud_storage"):
            summary["cloud_storage"] = {"provider": connector["cloud_storage"]["provider"]}
        if connector.get("web_crawl"):
            summary["web_crawl"] = connector["web_crawl"]
        return summary

    @staticmethod
    def _metadata(metadata: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": metadata["type"],
            "fields": metadata.get("fields") or [],
            "model_id": metadata.get("model_id"),
        }

    def _op_createDatasource(self, *, json: dict[str, Any], **_: Any) -> Answer:
        return Answer(200, self._new_datasource(json))

    def _new_datasource(self, json: dict[str, Any]) -> dict[str, Any]:
        created = now()
        datasource: dict[str, Any] = {
            "id": self._id("ds"),
            "name": json["name"],
            "description": json.get("description") or "",
            "connector": self._connector(json.get("connector") or {"type": "cloud_storage"}),
            "created_at": created,
            "updated_at": created,
            "files": {"total": 0},
        }
        if json.get("metadata_config"):
            datasource["metadata_config"] = self._metadata(json["metadata_config"])
        self._datasources[datasource["id"]] = datasource
        self._tables[datasource["id"]] = {}
        return datasource

    def _op_getDatasource(
        self, *, params: dict[str, str], query: dict[str, str], **_: Any
    ) -> Answer:
        datasource = self._datasource(params["datasource_id"])
        if not flag(query, "include_tables"):
            return Answer(200, datasource)
        tables = [
            {
                "name": table["table_name"],
                "description": table["description"],
                "column_count": len(table["columns"]),
            }
            for table in self._tables.get(datasource["id"], {}).values()
        ]
        return Answer(200, {**datasource, "tables": tables})

    def _op_updateDatasource(
        self, *, params: dict[str, str], json: dict[str, Any], **_: Any
    ) -> Answer:
        datasource = self._datasource(params["datasource_id"])
        for field in ("name", "description"):
            if json.get(field) is not None:
                datasource[field] = json[field]
        if json.get("connector"):
            datasource["connector"] = self._connector(json["connector"])
        if json.get("metadata_config"):
            datasource["metadata_config"] = self._metadata(json["metadata_config"])
        for update in json.get("tables") or []:
            table = self._upsert_table(datasource["id"], update["table_name"])
            if update.get("description") is not None:
                table["description"] = update["description"]
            for column in update.get("columns") or []:
                self._upsert_column(table, column["column_name"], column["description"])
        datasource["updated_at"] = now()
        return Answer(200, datasource)

    def _op_deleteDatasource(self, *, params: dict[str, str], **_: Any) -> Answer:
        datasource_id = self._datasource(params["datasource_id"])["id"]
        del self._datasources[datasource_id]
        self._tables.pop(datasource_id, None)
        for element_id in [
            key for key, e in self._data_elements.items() if e["datasource_id"] == datasource_id
        ]:
            del self._data_elements[element_id]
        return Answer(200, {"id": datasource_id})

    def _upsert_table(self, datasource_id: str, name: str) -> dict[str, Any]:
        tables = self._tables.setdefault(datasource_id, {})
        return tables.setdefault(name, {"table_name": name, "description": None, "columns": []})

    @staticmethod
    def _upsert_column(table: dict[str, Any], name: str, description: str) -> None:
        for column in table["columns"]:
            if column["column_name"] == name:
                column["description"] = description
                return
        table["columns"].append({"column_name": name, "description": description, "type": None})

    # ----- content ------------------------------------------------------------------------

    def _store(self, datasource: dict[str, Any], upload_id: str, files: list[FilePart]) -> None:
        """Keep uploaded files: each a data element, each CSV a table too."""
        self.uploads.append(Upload(datasource["id"], upload_id, list(files)))
        stamp = now()
        for part in files:
            name = part.filename or part.field
            element = next(
                (
                    e
                    for e in self._data_elements.values()
                    if e["datasource_id"] == datasource["id"] and e["name"] == name
                ),
                None,
            )
            if element is None:
                element = {"id": self._id("element"), "datasource_id": datasource["id"]}
                element.update(name=name, description=None, created_at=stamp)
                self._data_elements[element["id"]] = element
            element.update(media_type=_media_type(part), updated_at=stamp)
            element["metadata"] = {"size": len(part.data), "upload_id": upload_id}
            if name.lower().endswith(".csv"):
                table = self._upsert_table(datasource["id"], name.rpartition(".")[0] or name)
                table["columns"] = _columns(part.data)
        datasource["files"] = {"total": datasource["files"]["total"] + len(files)}
        datasource["updated_at"] = stamp

    def _content(self, datasource_id: str) -> list[dict[str, Any]]:
        """ContentItems of the datasource's stored files, by path."""
        latest: dict[str, tuple[FilePart, str]] = {}
        for upload in self.uploads:
            if upload.datasource_id == datasource_id:
                for part in upload.files:
                    latest[part.filename or part.field] = (part, upload.upload_id)
        return [
            {
                "name": path.rpartition("/")[2],
                "path": path,
                "size": len(part.data),
                "media_type": _media_type(part),
                "etag": hashlib.md5(part.data, usedforsecurity=False).hexdigest(),
                "last_modified": None,
                "type": "file",
            }
            for path, (part, _) in sorted(latest.items())
        ]

    def _op_listContent(self, *, params: dict[str, str], query: dict[str, str], **_: Any) -> Answer:
        items = self._content(self._datasource(params["datasource_id"])["id"])
        if query.get("prefix"):
            items = [item for item in items if item["path"].startswith(query["prefix"])]
        start = integer(query, "continuation_token", 0)
        end = start + max(1, integer(query, "limit", 1000))
        token = str(end) if end < len(items) else None
        return Answer(200, {"items": items[start:end], "continuation_token": token})

    def _op_uploadContent(
        self, *, params: dict[str, str], files: list[FilePart], **_: Any
    ) -> Answer:
        datasource = self._datasource(params["datasource_id"])
        if not files:
            raise HTTPError(422, [missing("files")])
        job = self._new_job("upload", self._id("upload"), datasource_id=datasource["id"])
        job.info["files"] = len(files)
        self._store(datasource, job.job_id, files)
        body = {
            "success": True,
            "message": f"Uploading {len(files)} file(s)",
            "datasource_id": datasource["id"],
            "upload_id": job.job_id,
            "sse_url": f"{PREFIX}/datasources/uploads/{job.job_id}/progress",
            "estimated_files": len(files),
            "estimated_size": sum(len(part.data) for part in files),
        }
        return Answer(200, body)

    def _op_uploadAndListContent(
        self, *, params: dict[str, str], query: dict[str, str], files: list[FilePart], **_: Any
    ) -> Answer:
        datasource = self._datasource(params["datasource_id"])
        if not files:
            raise HTTPError(422, [missing("files")])
        self._store(datasource, self._id("upload"), files)
        body: dict[str, Any] = {
            "datasource_id": datasource["id"],
            "items": self._content(datasource["id"]),
            "continuation_token": None,
            "ingest_url": None,
        }
        if flag(query, "trigger_ingest"):
            self._trigger_ingest(datasource)
            body["ingest_url"] = f"{PREFIX}/datasources/{datasource['id']}/ingest-status"
        return Answer(200, body)

    def _op_streamUploadProgress(self, *, params: dict[str, str], **_: Any) -> Answer:
        job = self._job("upload", params["upload_id"])
        ids = {
            "upload_id": job.job_id,
            "datasource_id": job.info["datasource_id"],
            "total_files": job.info["files"],
        }
        return Answer(200, events=progress_events("streamUploadProgress", job, ids))

    # ----- ingest -------------------------------------------------------------------------

    def _ingest_of(self, datasource_id: str) -> Job | None:
        jobs = [
            job
            for job in self._jobs.values()
            if job.kind == "ingest" and job.info["datasource_id"] == datasource_id
        ]
        return jobs[-1] if jobs else None

    def _trigger_ingest(self, datasource: dict[str, Any]) -> str:
        running = self._ingest_of(datasource["id"])
        if running is not None and not running.terminal:
            return f"Ingest already running for {datasource['id']}"
        files = len(self._content(datasource["id"]))
        self._new_job("ingest", self._id("ingest"), datasource_id=datasource["id"], files=files)
        return f"Ingest started for {datasource['id']}"

    def _op_triggerIngest(self, *, params: dict[str, str], **_: Any) -> Answer:
        datasource = self._datasource(params["datasource_id"])
        message = self._trigger_ingest(datasource)
        return Answer(200, {"datasource_id": datasource["id"], "message": message})

    def _op_getIngestStatus(self, *, params: dict[str, str], **_: Any) -> Answer:
        datasource = self._datasource(params["datasource_id"])
        body: dict[str, Any] = {"datasource_id": datasource["id"], "methods": []}
        job = self._ingest_of(datasource["id"])
        if job is None:
            body.update(status="not_started", started_at=None, completed_at=None)
            return Answer(200, body)
        job.poll()
        files = job.info["files"]
        processed = round(files * job.progress)
        method = {
            "method": "rag",
            "total_files": files,
            "processed_files": processed,
            "adds": processed if job.status == "completed" else 0,
            "updates": 0,
            "errors": 1 if job.failed else 0,
            "warnings": 0,
        }
        body.update(status=job.status, started_at=job.created_at, completed_at=job.finished_at)
        body["methods"] = [method]
        if job.failed:
            body["error"] = job.error  # not in the spec's schema, which allows more properties
        if job.terminal:
            datasource.update(last_sync_at=job.finished_at, last_sync_status=job.status)
            if not job.failed:
                datasource["total_ingested_files"] = files
                datasource["ingest_counts"] = {"rag": {"total": files, "new": files, "updated": 0}}
        return Answer(200, body)
