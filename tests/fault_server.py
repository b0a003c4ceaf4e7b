"""An upload server that loses answers on purpose: each file's uploads follow a script.

Per filename, `script[name]` lists what becomes of each upload of it in turn (then "ok"):
"ok"; "400" (refused, final); "500" or "reset" (not stored: a 500, or the connection reset after
the body was read); "store+500" or "store+reset" (stored, then the answer lost the same way);
"429" (with `retry-after-ms: 10`), "429-bare" (no Retry-After) and "503-bare". listContent lists
what it stored, with the MD5 as ETag (`etag = "multipart"` gives an S3-style "<hex>-2", "none"
gives none, "fail" answers every listing 500). `stored[name]` counts the copies of each file.
"""

from __future__ import annotations

import collections
import hashlib
import json
import socket
import struct
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wire import LoopbackHandler, LoopbackServer, parse_multipart

DATASOURCE = "ds1"
_UPLOADED = {
    "success": True,
    "message": "accepted",
    "datasource_id": DATASOURCE,
    "upload_id": "up",
    "sse_url": "/v2/datasources/uploads/up/progress",
}


class FaultServer(LoopbackServer):
    def __init__(self, delay: float = 0.0) -> None:
        self.script: dict[str, list[str]] = {}
        self.etag = "md5"
        self.delay = delay
        self.stored: collections.Counter[str] = collections.Counter()
        self.sent: collections.Counter[str] = collections.Counter()  # uploads received, by name
        self.content: dict[str, bytes] = {}
        self.listings: list[str] = []
        # (time.monotonic(), method, requests under way with it) of each request
        self.arrivals: list[tuple[float, str, int]] = []
        self.in_flight = 0
        self.admit: int | None = None  # uploads beyond this many at once are told 429
        self._lock = threading.Lock()
        server = self

        class Handler(LoopbackHandler):
            def do_POST(self) -> None:
                server._arrived("POST")
                body = self.read_body()
                (part,) = parse_multipart(self.headers["Content-Type"], body)
                name = part.filename or ""
                with server._lock:
                    server.sent[name] += 1
                    steps = server.script.get(name) or ["ok"]
                    step = steps.pop(0) if steps else "ok"
                    if server.admit is not None and server.in_flight > server.admit:
                        step = "429"
                time.sleep(server.delay)
                if step.startswith("store") or step == "ok":
                    with server._lock:
                        server.stored[name] += 1
                        server.content[name] = part.data
                with server._lock:
                    server.in_flight -= 1
                if step.endswith("reset"):
                    self._reset()
                elif step.endswith("500") or step == "503-bare":
                    status = 503 if step == "503-bare" else 500
                    self._json(status, {"detail": "the store is down"})
                elif step == "400":
                    self._json(400, {"detail": "not a file we take"})
                elif step == "429":
                    self._json(429, {"detail": "slow down"}, {"retry-after-ms": "10"})
                elif step == "429-bare":
                    self._json(429, {"detail": "slow down"})
                else:
                    self._json(200, _UPLOADED)

            def do_GET(self) -> None:
                server._arrived("GET")
                with server._lock:
                    server.in_flight -= 1
                url = urlsplit(self.path)
                assert url.path == f"/v2/datasources/{DATASOURCE}/content", url.path
                prefix = parse_qs(url.query).get("prefix", [""])[0]
                server.listings.append(prefix)
                if server.etag == "fail":
                    self._json(500, {"detail": "listing is down"})
                    return
                with server._lock:
                    items = [server._item(name, data) for name, data in server.content.items()]
                items = [item for item in items if item["path"].startswith(prefix)]
                self._json(200, {"items": items, "continuation_token": None})

            def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                head = {"Content-Type": "application/json", **(headers or {})}
                self.send_whole(status, head, json.dumps(body).encode())

            def _reset(self) -> None:
                self.close_connection = True
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.rfile.close()
                self.connection.close()

        super().__init__(Handler, name="FaultServer")

    def _arrived(self, method: str) -> None:
        with self._lock:
            self.in_flight += 1
            self.arrivals.append((time.monotonic(), method, self.in_flight))

    def _item(self, name: str, data: bytes) -> dict[str, Any]:
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        etag = {"md5": f'"{digest}"', "multipart": f'"{digest}-2"', "none": None}[self.etag]
        return {"name": name.rpartition("/")[2], "path": name, "size": len(data), "etag": etag}

    @property
    def url(self) -> str:
        return f"{super().url}/v2"

    def __enter__(self) -> FaultServer:
        super().__enter__()
        return self
