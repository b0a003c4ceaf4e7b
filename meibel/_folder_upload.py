"""Folder uploads: every file of a folder to a datasource, concurrently. (Being written.)"""

from __future__ import annotations

__all__ = ["AsyncFolderUploads", "FolderUploads"]


class FolderUploads:
    __slots__ = ()


class AsyncFolderUploads:
    __slots__ = ()
