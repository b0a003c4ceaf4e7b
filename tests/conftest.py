from __future__ import annotations

from collections.abc import Iterator

import pytest
from project_copy import project  # noqa: F401  (a fixture: a copy of the generator inputs)
from wire import RecordingServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Run the test with MeibelClient ("sync") and with AsyncMeibelClient ("async")."""
    return str(request.param)


@pytest.fixture(scope="module")
def module_server() -> Iterator[RecordingServer]:
    """One RecordingServer for a test module; `server` empties it for each test.

    Quiet: a client that leaves a stream early resets its connection, and the server's traceback
    for that would land between tests.
    """
    with RecordingServer() as server:
        server.httpd.handle_error = lambda request, client_address: None
        yield server


@pytest.fixture
def server(module_server: RecordingServer) -> RecordingServer:
    module_server.reset()
    return module_server
