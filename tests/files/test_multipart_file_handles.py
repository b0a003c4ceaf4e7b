"""Multipart bodies close the files the SDK opened, one at a time, and leave the caller's open;
async bodies open and read files off the event loop.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import IO, Any, cast

import pytest
from multipart_helpers import (
    send_async,
)
from wire import RecordingServer, parse_multipart

from meibel import _multipart
from meibel._multipart import MultipartBody


class TrackingOpen:
    """Stands in for `open` inside meibel._multipart, keeping every handle it returns."""

    def __init__(self) -> None:
        self.handles: list[IO[bytes]] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, *args: Any, **kwargs: Any) -> IO[bytes]:
        handle = cast("IO[bytes]", open(*args, **kwargs))  # noqa: SIM115
        self.handles.append(handle)
        self.threads.append(threading.current_thread())
        return handle

    def still_open(self) -> int:
        return sum(not handle.closed for handle in self.handles)


@pytest.fixture
def tracking_open(monkeypatch: pytest.MonkeyPatch) -> TrackingOpen:
    tracker = TrackingOpen()
    monkeypatch.setattr(_multipart, "open", tracker, raising=False)
    return tracker


def test_sdk_files_are_closed_one_at_a_time_and_callers_files_stay_open(
    tmp_path: Path, tracking_open: TrackingOpen
) -> None:
    paths = []
    for index in range(200):
        path = tmp_path / f"{index}.bin"
        path.write_bytes(index.to_bytes(2, "big") * 5000)
        paths.append(path)
    callers = io.BytesIO(b"caller's")
    body = MultipartBody([], [*(("files", path) for path in paths), ("files", callers)])
    most_open = 0
    for _ in body:
        most_open = max(most_open, tracking_open.still_open())
    assert len(tracking_open.handles) == 200
    assert most_open == 1, "a path is open only while its part is sent"
    assert tracking_open.still_open() == 0
    assert not callers.closed


def test_abandoned_iteration_closes_sdk_files(tmp_path: Path, tracking_open: TrackingOpen) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1_000_000)
    callers = io.BytesIO(b"y" * 100_000)
    body = MultipartBody([], [("files", callers), ("files", path)], chunk_size=16 * 1024)

    abandoned = cast("Generator[bytes]", iter(body))
    for chunk in abandoned:
        if chunk.startswith(b"x"):
            break  # inside the path's part
    assert tracking_open.still_open() == 1
    abandoned.close()  # what happens when a send is cut short
    assert tracking_open.still_open() == 0

    failing = cast("Generator[bytes]", iter(body))
    for chunk in failing:
        if chunk.startswith(b"x"):
            break
    with pytest.raises(ConnectionError):
        failing.throw(ConnectionError("the connection dropped"))
    assert tracking_open.still_open() == 0

    suspended = iter(body)
    for chunk in suspended:
        if chunk.startswith(b"x"):
            break
    body.close()
    assert tracking_open.still_open() == 0
    assert not callers.closed


def test_a_failing_read_closes_sdk_files(tmp_path: Path, tracking_open: TrackingOpen) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise OSError("disk on fire")

    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1000)
    broken = Broken()
    with pytest.raises(OSError, match="disk on fire"):
        b"".join(MultipartBody([], [("files", path), ("files", ("b", broken))]))
    assert len(tracking_open.handles) == 1
    assert tracking_open.still_open() == 0
    assert not broken.closed


@pytest.mark.anyio
async def test_abandoned_async_iteration_closes_sdk_files(
    tmp_path: Path, tracking_open: TrackingOpen
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1_000_000)
    body = MultipartBody([], [("files", path)], chunk_size=16 * 1024)
    chunks = cast("AsyncGenerator[bytes]", body.__aiter__())
    for _ in range(3):
        await chunks.__anext__()
    assert tracking_open.still_open() == 1
    await chunks.aclose()
    assert tracking_open.still_open() == 0


@pytest.mark.anyio
async def test_async_iteration_opens_and_reads_files_off_the_event_loop(
    recording_server: RecordingServer, tmp_path: Path, tracking_open: TrackingOpen
) -> None:
    readers: list[threading.Thread] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            readers.append(threading.current_thread())
            return super().read(size)

        def seek(self, offset: int, whence: int = 0) -> int:
            readers.append(threading.current_thread())
            return super().seek(offset, whence)

    path = tmp_path / "a.bin"
    path.write_bytes(os.urandom(600_000))
    recording = Recording(b"abc" * 100_000)
    body = MultipartBody([], [("files", ("r.bin", recording)), ("files", path)])
    readers.clear()  # the constructor measured the stream, on this thread
    await send_async(recording_server.url, body, body.headers)
    assert len(readers) > 2
    assert tracking_open.threads
    loop_thread = threading.current_thread()
    assert all(thread is not loop_thread for thread in readers + tracking_open.threads)
    request = recording_server.requests[0]
    parts = parse_multipart(request.headers["Content-Type"], request.body)
    assert [p.data for p in parts] == [b"abc" * 100_000, path.read_bytes()]
