"""A rate limiter in front of uploads: a 429 means the server did not process the request, so it
is retried whatever the method, POST included, with backoff when no Retry-After is given. A folder
upload against a limiter answering 429 to every third request uploads every file, each once."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest
from wire import LoopbackHandler, LoopbackServer, parse_multipart

from meibel import AsyncMeibelClient, MeibelClient, UploadReport
from meibel._retry import RetryPolicy

FILES = 30


class Limiter(LoopbackServer):
    """Answers 429 (no Retry-After) to every third request, and stores the file of the others."""

    def __init__(self) -> None:
        self.requests = 0
        self.limited = 0
        self.stored: dict[str, bytes] = {}
        self.twice: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(LoopbackHandler):
            def do_POST(self) -> None:
                body = self.read_body()
                with server._lock:
                    server.requests += 1
                    limited = server.requests % 3 == 0
                    if limited:
                        server.limited += 1
                    else:
                        (part,) = parse_multipart(self.headers["Content-Type"], body)
                        if part.filename in server.stored:
                            server.twice.append(str(part.filename))
                        server.stored[str(part.filename)] = part.data
                if limited:
                    answer: dict[str, Any] = {"detail": "Too many requests"}
                    self.send_whole(429, {"Content-Type": "application/json"}, _json(answer))
                    return
                answer = {
                    "success": True,
                    "message": "Uploading 1 file(s)",
                    "datasource_id": "ds1",
                    "upload_id": f"up-{part.filename}",
                    "sse_url": f"/v2/datasources/uploads/up-{part.filename}/progress",
                }
                self.send_whole(200, {"Content-Type": "application/json"}, _json(answer))

        super().__init__(Handler, name="Limiter")


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


# A limiter this strict leaves a file a 1-in-3 chance per attempt: with 11 attempts and quick
# backoff, all 30 get through (the default, 3 attempts, loses about one file in 27 to it).
FAST = RetryPolicy(max_retries=10, initial_delay=0.01, max_delay=0.05)


def _upload_folder(mode: str, url: str, folder: Path) -> UploadReport:
    if mode == "sync":
        with MeibelClient(api_key="k", base_url=url, max_retries=10) as client:
            client._retry = FAST
            return client.file_upload.upload_folder("ds1", folder, concurrency=8)

    async def main() -> UploadReport:
        async with AsyncMeibelClient(api_key="k", base_url=url, max_retries=10) as client:
            client._retry = FAST
            return await client.file_upload.upload_folder("ds1", folder, concurrency=8)

    return anyio.run(main)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_folder_upload_gets_every_file_past_a_limiter(mode: str, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    files = {f"f{i:02}.txt": f"file {i}".encode() * (i + 1) for i in range(FILES)}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with Limiter() as limiter:
        report = _upload_folder(mode, f"{limiter.url}/v2", folder)
    assert report.ok, report.failed
    assert len(report.uploaded) == FILES
    assert limiter.stored == files, "every file arrived whole"
    assert limiter.twice == [], "and once"
    assert limiter.limited >= FILES // 3
    assert limiter.requests == FILES + limiter.limited
