"""A loopback server whose every answer names its request, so that each can be matched to it.

`GET /v2/sessions/{token}` answers a session's details whose `agent_id` is the token, whose
`agent_name` is the API key the request carried and whose `version` its `X-Team` header. A token
starting with "slow" is answered after `slow` seconds (`slow_arrived` is set on its arrival).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

from answers import SESSION_DETAILS

from meibel.testing._server import LoopbackHandler, LoopbackServer

__all__ = ["EchoServer"]


class EchoServer(LoopbackServer):
    def __init__(self, *, slow: float = 1.0) -> None:
        self.slow_arrived = threading.Event()
        server = self

        class Handler(LoopbackHandler):
            def do_GET(self) -> None:
                self.read_body()
                token = urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
                if token.startswith("slow"):
                    server.slow_arrived.set()
                    time.sleep(slow)
                answer = {
                    **SESSION_DETAILS,
                    "agent_id": token,
                    "agent_name": self.headers.get("Meibel-API-Key", ""),
                    "version": self.headers.get("X-Team", ""),
                }
                body = json.dumps(answer).encode()
                self.send_whole(200, {"Content-Type": "application/json"}, body)

        super().__init__(Handler, name="EchoServer")

    def __enter__(self) -> EchoServer:
        super().__enter__()
        return self
