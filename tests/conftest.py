from __future__ import annotations

from collections.abc import Iterator

import pytest
from wire import RecordingServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server
