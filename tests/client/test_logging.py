"""The `meibel` logger: each request at DEBUG (also with MEIBEL_LOG), never the key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from answers import SESSION_DETAILS
from support import KEY, client_for
from wire import RecordingServer

from meibel._retry import RetryPolicy


def test_debug_log_shows_requests_but_never_the_key(
    recording_server: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="meibel")
    recording_server.respond(503, {"detail": "busy"})
    recording_server.respond(200, SESSION_DETAILS)
    with client_for(recording_server) as client:
        client._retry = RetryPolicy(initial_delay=0.01)
        client.sessions.get_session(session_id="s_1")
    lines = [record.getMessage() for record in caplog.records if record.name == "meibel"]
    assert any("GET http://127.0.0.1" in line and "-> 503" in line for line in lines)
    assert any("-> 200" in line and "retries: 1" in line for line in lines)
    assert all(KEY not in line for line in lines)


def test_meibel_log_environment_variable_prints_redacted_debug_lines(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, SESSION_DETAILS)
    script = (
        "import logging\n"
        "from meibel import MeibelClient\n"
        f"c = MeibelClient(api_key={KEY!r}, base_url={recording_server.url + '/v2'!r})\n"
        "c.sessions.get_session(session_id='s_1')\n"
        f"logging.getLogger('meibel').debug('header Meibel-API-Key: {KEY}')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "MEIBEL_LOG": "debug"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "GET http://127.0.0.1" in result.stderr
    assert "-> 200" in result.stderr
    assert "Meibel-API-Key: ***" in result.stderr
    assert KEY not in result.stderr
