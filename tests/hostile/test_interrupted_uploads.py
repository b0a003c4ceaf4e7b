"""Ctrl-C and cancellation during a folder upload, against a server that accepts and never
answers: the upload stops within 2 s, every connection is let go, no thread goes on uploading,
and the caller gets the partial report (uploaded, in flight with whether each request was sent
in full, not started). A real SIGINT to a subprocess for the sync API and `meibel upload`;
asyncio and anyio cancel scopes for the async API, which must keep working as scopes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import pytest
from wire import LoopbackHandler, LoopbackServer

from meibel import AsyncMeibelClient, UploadInterrupted, UploadReport

BOUND = 2.0 + 1.5  # the promise (2 s) and a margin for a slow machine
FILES = 20
CONCURRENCY = 4
BIG = 16 * 1024 * 1024  # more than the socket buffers hold: a send blocks on a server not reading


class SilentServer(LoopbackServer):
    """Takes uploads and never answers. `read_body=False` does not even read the body.

    `arrived` counts requests received (their body read, when it is read at all) and `released`
    the connections the client then let go (closed or shut down).
    """

    def __init__(self, *, read_body: bool = True) -> None:
        self.arrived = 0
        self.released = 0
        self.draining = threading.Event()  # read what an unread body left, to see the close
        self._changed = threading.Condition()
        self._stop = threading.Event()
        server = self

        class Handler(LoopbackHandler):
            def do_POST(self) -> None:
                if read_body:
                    self.read_body(keep=False)
                server._count("arrived")
                self.close_connection = True
                self.connection.settimeout(0.05)
                while not server._stop.is_set():
                    if not (read_body or server.draining.is_set()):
                        time.sleep(0.02)
                        continue
                    try:
                        if not self.connection.recv(1 << 20):
                            break
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                server._count("released")

        super().__init__(Handler, name="SilentServer", poll_interval=0.02)

    def _count(self, name: str) -> None:
        with self._changed:
            setattr(self, name, getattr(self, name) + 1)
            self._changed.notify_all()

    def wait_for(self, name: str, count: int, timeout: float = 30.0) -> None:
        with self._changed:
            reached = self._changed.wait_for(lambda: getattr(self, name) >= count, timeout)
        assert reached, f"{name}: {getattr(self, name)} of {count} after {timeout} s"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v2"

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        super().__exit__(*exc_info)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(FILES):
        (root / f"f{i:02}.txt").write_bytes(b"x" * (1000 + i))
    return root


@pytest.fixture
def big_folder(tmp_path: Path) -> Path:
    root = tmp_path / "big"
    root.mkdir()
    for i in range(6):
        with (root / f"b{i}.bin").open("wb") as file:
            file.truncate(BIG)  # sparse: the test reads it, the disk holds nothing
    return root


def _as_in_a_terminal() -> None:
    """In the child before exec: SIGINT handled by default, so Python raises KeyboardInterrupt.

    A shell that starts the tests in the background (`cmd &` without job control) ignores
    SIGINT in them, and Python keeps an ignored SIGINT ignored: no Ctrl-C would reach it.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _environment(**variables: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEIBEL_")}
    return {**clean, **variables}


SCRIPT = """
import json, sys, threading, time
from pathlib import Path
from meibel import MeibelClient, UploadInterrupted

url, folder = sys.argv[1:3]
client = MeibelClient(api_key="sk-test-interrupt", base_url=url)
try:
    client.file_upload.upload_folder("ds1", folder, concurrency=4)
except UploadInterrupted as interrupted:
    caught = time.time()
    report = interrupted.report
    names = lambda paths: [Path(p).name for p in paths]
    print(json.dumps({
        "caught": caught,
        "keyboard": isinstance(interrupted, KeyboardInterrupt),
        "message": str(interrupted),
        "uploaded": names(path for path, _ in report.uploaded),
        "failed": names(path for path, _ in report.failed),
        "in_flight": [[Path(path).name, sent] for path, sent in report.in_flight],
        "not_started": names(report.not_started),
        "threads": [t.name for t in threading.enumerate() if t.name.startswith("meibel")],
    }))
"""


def _interrupt(process: subprocess.Popen[str], server: SilentServer, requests: int) -> float:
    """SIGINT to `process` once `requests` uploads reached `server`; returns when it was sent."""
    try:
        server.wait_for("arrived", requests)
    except AssertionError:
        process.kill()
        raise
    sent = time.time()
    process.send_signal(signal.SIGINT)
    return sent


def _finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The process's output once it exits; if it hangs, fail with where each thread is."""
    try:
        return process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # -X faulthandler prints every thread's stack
        _, err = process.communicate(timeout=10)
        pytest.fail(f"the process did not end within 60 s of SIGINT; its threads:\n{err}")


@pytest.mark.parametrize("read_body", [True, False], ids=["never-answers", "never-reads"])
def test_ctrl_c_stops_a_sync_folder_upload_at_once_with_its_report(
    read_body: bool, folder: Path, big_folder: Path
) -> None:
    root = folder if read_body else big_folder
    total = FILES if read_body else 6
    with SilentServer(read_body=read_body) as server:
        process = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", "-c", SCRIPT, server.base_url, str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_environment(),
            preexec_fn=_as_in_a_terminal,
        )
        sent = _interrupt(process, server, CONCURRENCY)
        out, err = _finish(process)
        ended = time.time()
        server.draining.set()
        server.wait_for("released", CONCURRENCY, timeout=5)
    assert process.returncode == 0, err
    result = json.loads(out)
    assert result["caught"] - sent < BOUND
    assert ended - sent < BOUND + 1.5, "the process exits at once: no thread holds it"
    assert result["keyboard"], "the sync UploadInterrupted is a KeyboardInterrupt too"
    assert result["threads"] == [], "no upload thread outlives the exception"
    assert result["uploaded"] == result["failed"] == []
    # The requests under way: sent in full when the server read them, else not.
    assert len(result["in_flight"]) == CONCURRENCY
    assert all(sent_in_full is read_body for _, sent_in_full in result["in_flight"])
    in_flight = [name for name, _ in result["in_flight"]]
    assert sorted(in_flight + result["not_started"]) == sorted(p.name for p in root.iterdir())
    assert len(result["not_started"]) == total - CONCURRENCY
    assert "upload_folder interrupted: 0 uploaded, 4 in flight" in result["message"]
    assert "sk-test-interrupt" not in out + err


def test_ctrl_c_during_meibel_upload_prints_the_summary_and_exits_130(folder: Path) -> None:
    with SilentServer() as server:
        environment = _environment(MEIBEL_API_KEY="sk-test-cli", MEIBEL_BASE_URL=server.base_url)
        command = [sys.executable, "-X", "faulthandler", "-m", "meibel", "upload", str(folder)]
        command += ["--datasource", "ds1"]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
            preexec_fn=_as_in_a_terminal,
        )
        sent = _interrupt(process, server, 8)  # the command uploads 8 at a time
        out, err = _finish(process)
        ended = time.time()
        server.wait_for("released", 8, timeout=5)
    assert ended - sent < BOUND + 1.5
    assert process.returncode == 130
    lines = out.splitlines()
    assert lines[0].startswith("interrupted: uploaded 0 files to ds1 (")
    assert lines[0].endswith(f" sent), 8 in flight, {FILES - 8} not started")
    assert len(lines) == 9
    assert all(line.startswith("  in flight f") for line in lines[1:])
    assert all(line.endswith(": sent in full, the server may have stored it") for line in lines[1:])
    assert err.splitlines()[-1] == "meibel: interrupted"
    assert "Traceback" not in err
    assert "sk-test-cli" not in out + err


# ----- async: cancellation, through every kind of cancel scope ---------------------------------


async def _until(server: SilentServer, requests: int) -> None:
    with anyio.fail_after(30):
        while server.arrived < requests:
            await anyio.sleep(0.01)


Upload = Callable[[], Awaitable[UploadReport]]
Cancelled = tuple[float, BaseException | None]


async def _by_asyncio_timeout(upload: Upload, server: SilentServer) -> Cancelled:
    loop = asyncio.get_running_loop()
    started = 0.0

    async def expire(timeout: asyncio.Timeout) -> None:
        nonlocal started
        await _until(server, CONCURRENCY)
        started = time.monotonic()
        timeout.reschedule(loop.time())

    try:
        async with asyncio.timeout(None) as timeout:
            expiring = asyncio.ensure_future(expire(timeout))
            await upload()
    except TimeoutError as error:  # what asyncio.timeout makes of its cancellation
        await expiring
        return started, error
    pytest.fail("asyncio.timeout raised no TimeoutError")


async def _by_anyio_move_on_after(upload: Upload, server: SilentServer) -> Cancelled:
    interrupted: list[BaseException] = []

    async def recording() -> None:
        try:
            await upload()
        except anyio.get_cancelled_exc_class() as cancelled:  # how to keep the report (docs)
            interrupted.append(cancelled)
            raise

    with anyio.move_on_after(60) as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(recording)
            await _until(server, CONCURRENCY)
            scope.cancel()
            started = time.monotonic()
    assert scope.cancelled_caught, "the scope took its cancellation back: the code goes on"
    return started, interrupted[0] if interrupted else None


async def _by_task_cancel(upload: Upload, server: SilentServer) -> Cancelled:
    task = asyncio.ensure_future(upload())
    await _until(server, CONCURRENCY)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    assert task.cancelled()
    return started, caught.value


async def _by_a_failing_task_group_sibling(upload: Upload, server: SilentServer) -> Cancelled:
    started = 0.0

    async def failing() -> None:
        nonlocal started
        await _until(server, CONCURRENCY)
        started = time.monotonic()
        raise ValueError("a sibling failed")

    async def in_a_group() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(failing())
            await upload()  # in the group's own body: the group cancels it

    with pytest.raises(ExceptionGroup) as caught:
        await in_a_group()
    assert [type(inner) for inner in caught.value.exceptions] == [ValueError]
    return started, caught.value


SCOPES = [
    _by_asyncio_timeout,
    _by_anyio_move_on_after,
    _by_task_cancel,
    _by_a_failing_task_group_sibling,
]


@pytest.mark.anyio
@pytest.mark.parametrize("cancel", SCOPES, ids=lambda scope: scope.__name__[4:])
async def test_cancelling_an_async_folder_upload_stops_it_and_keeps_the_scope_working(
    cancel: Callable[[Upload, SilentServer], Awaitable[Cancelled]], folder: Path
) -> None:
    with SilentServer() as server:
        async with AsyncMeibelClient(api_key="k", base_url=server.base_url) as client:

            async def upload() -> UploadReport:
                return await client.file_upload.upload_folder(
                    "ds1", folder, concurrency=CONCURRENCY
                )

            started, error = await cancel(upload, server)
            stopped = time.monotonic()
            assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
        await anyio.to_thread.run_sync(server.wait_for, "released", CONCURRENCY, 5.0)
    assert stopped - started < BOUND
    interrupted = UploadInterrupted.find(error)
    assert interrupted is not None
    assert not isinstance(interrupted, KeyboardInterrupt)
    report = interrupted.report
    assert (report.uploaded, report.failed) == ((), ())
    assert [file.request_sent for file in report.in_flight] == [True] * CONCURRENCY
    assert len(report.not_started) == FILES - CONCURRENCY
    assert not report.ok
    assert repr(report) == (
        f"<UploadReport uploaded=0 skipped=0 failed=0 in_flight=4 not_started={FILES - 4}>"
    )
    assert str(interrupted) == (
        "upload_folder interrupted: 0 uploaded, 4 in flight (4 sent in full: the server may "
        f"have stored them), {FILES - 4} not started"
    )


def test_a_sync_folder_upload_runs_over_a_pool_of_its_own(folder: Path) -> None:
    """Connections the client already held give no socket to shut down on Ctrl-C: the upload
    opens its own (when the pool is the SDK's), and the client's pool stays untouched."""
    from meibel import MeibelClient
    from meibel.testing import FakeMeibel

    fake = FakeMeibel()
    fake.seed("datasources", "ds1", name="Docs")
    with fake.serve() as base_url, MeibelClient(api_key="k", base_url=base_url) as client:
        report = client.file_upload.upload_folder("ds1", folder, concurrency=CONCURRENCY)
        assert len(report.uploaded) == FILES
        assert client._pool._http is None, "the client's own pool was never opened"
