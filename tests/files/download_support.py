"""Clients of a FileServer and the operations that answer with a file, for the download tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
from file_server import FileServer

from meibel import (
    AsyncMeibelClient,
    MeibelClient,
)
from meibel.models import DownloadJobRequest


def _client(server: FileServer, **options: Any) -> MeibelClient:
    return MeibelClient(api_key="k", base_url=server.url, **options)


def _async_client(server: FileServer, **options: Any) -> AsyncMeibelClient:
    return AsyncMeibelClient(api_key="k", base_url=server.url, **options)


@contextlib.contextmanager
def _pool_of_one(server: FileServer, pool_timeout: float = 2.0) -> Iterator[MeibelClient]:
    """A client whose pool holds one connection: a download not released blocks the next."""
    limits = httpx2.Limits(max_connections=1)
    timeout = httpx2.Timeout(10.0, pool=pool_timeout)
    with httpx2.Client(limits=limits, timeout=timeout) as http_client:
        yield _client(server, http_client=http_client)


def _files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# The four operations that answer with a file: (call, method, request target).
OPERATIONS: list[tuple[Callable[[Any], Any], str, str]] = [
    (
        lambda c: c.datasource_downloads.download_file("job_1", datasource_id="ds_1"),
        "GET",
        "/v2/datasources/ds_1/downloads/job_1/file",
    ),
    (
        lambda c: c.datasource_downloads.process_download(
            "ds_1", body=DownloadJobRequest(content="files")
        ),
        "POST",
        "/v2/datasources/ds_1/downloads/process",
    ),
    (
        lambda c: c.documents.get_document_result("job_2", format_="json"),
        "GET",
        "/v2/documents/job_2/result?format=json",
    ),
    (
        lambda c: c.documents.download_deep_transform_artifact("output.json", job_id="job_3"),
        "GET",
        "/v2/documents/deep-transform/job_3/artifact/output.json",
    ),
]
OPERATION_IDS = ["download_file", "process_download", "get_document_result", "artifact"]
