"""What the tests of MeibelClient share: the key they send and a client on a recording server."""

from __future__ import annotations

from typing import Any

from wire import RecordingServer

from meibel import MeibelClient

KEY = "sk-test-9f8e7d6c5b4a"


def client_for(server: RecordingServer, **options: Any) -> MeibelClient:
    """A MeibelClient sending KEY to `server`'s /v2 (`options` go to MeibelClient)."""
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2", **options)
