"""In tests/files/, `server` is a FileServer (tests/file_server.py), the download tests' server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from file_server import FileServer


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as running:
        yield running
