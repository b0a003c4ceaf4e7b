"""Waiters: poll (or follow the progress stream of) a job until it ends. (Being written.)"""

from __future__ import annotations

__all__ = [
    "AsyncConfidenceScoringWaiters",
    "AsyncDatasourceDownloadsWaiters",
    "AsyncDocumentsWaiters",
    "AsyncFileUploadWaiters",
    "AsyncIngestWaiters",
    "ConfidenceScoringWaiters",
    "DatasourceDownloadsWaiters",
    "DocumentsWaiters",
    "FileUploadWaiters",
    "IngestWaiters",
]


class DocumentsWaiters:
    __slots__ = ()


class AsyncDocumentsWaiters:
    __slots__ = ()


class IngestWaiters:
    __slots__ = ()


class AsyncIngestWaiters:
    __slots__ = ()


class DatasourceDownloadsWaiters:
    __slots__ = ()


class AsyncDatasourceDownloadsWaiters:
    __slots__ = ()


class ConfidenceScoringWaiters:
    __slots__ = ()


class AsyncConfidenceScoringWaiters:
    __slots__ = ()


class FileUploadWaiters:
    __slots__ = ()


class AsyncFileUploadWaiters:
    __slots__ = ()
