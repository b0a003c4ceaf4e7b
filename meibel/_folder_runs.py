"""Running a folder upload's files, and stopping them at once when it is interrupted.

Sync: up to `concurrency` daemon threads take files from a queue, each in a copy of the caller's
context (so an OpenTelemetry span current in the caller is the parent of their calls). Each
upload's requests are watched (meibel/_delivery.py): on Ctrl-C every socket they connected is
shut down, which wakes a thread blocked in send() or recv(); no chunk is sent and no attempt or
retry starts after that.
When the client owns its connection pool, the folder upload runs over a pool of its own for its
duration, so every connection it uses is one its requests made (a connection the client's pool
already held would come with no socket to shut down). The workers get `GRACE` seconds to finish
after the cut; in practice they end at once.

Async: tasks in a task group; a cancellation cancels them, and httpcore2 closes the connection
of each request cancelled.

Either way at most `concurrency` files are under way, fewer while the server throttles: the
client's rate gate halves the number at each throttling episode and adds one back every so many
successes (meibel/_rate_gate.py). Each file goes through its rounds (meibel/_upload_rounds.py):
sent again when the server did not store it, checked with the server when it may have.

Either way the `Ledger` knows what became of each file (uploaded, failed, in flight with whether
its request was sent in full, queued), and `interrupted()` makes the exception to raise: an
UploadInterrupted for Ctrl-C, else the interruption itself caused by one (see
meibel/_folder_walk.py).
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, NoReturn

from ._delivery import Cutter, Stopped, Watch, watching
from ._exceptions import APIConnectionError
from ._folder_walk import (
    _WALK_BATCH,
    FailedFile,
    InFlightFile,
    SkippedFile,
    UploadedFile,
    UploadInterrupted,
    UploadKeyboardInterrupt,
    UploadReport,
    _Found,
    _Progress,
    _Source,
    take,
)
from ._rate_gate import Concurrency
from ._upload_rounds import (
    FileRounds,
    Outcome,
    _AsyncUploads,
    _Uploads,
    upload_async,
    upload_sync,
)

if TYPE_CHECKING:
    from ._journal import Journal

__all__ = ["GRACE", "Ledger", "interrupted", "run_tasks", "run_threads"]

# Seconds the sync workers get to end once their connections are cut.
GRACE = 1.0

Result = UploadedFile | FailedFile | SkippedFile


class Ledger:
    """What became of each file of a folder upload so far; written from any thread."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.uploaded: list[UploadedFile] = []
        self.skipped: list[SkippedFile] = []
        self.failed: list[FailedFile] = []
        self.queued: dict[PurePath, None] = {}
        self.in_flight: dict[PurePath, Watch] = {}
        self.not_started: list[PurePath] = []
        self.running = 0

    def add(self, item: Result) -> None:
        with self._changed:  # reentrant: end() adds under it
            if isinstance(item, UploadedFile):
                self.uploaded.append(item)
            elif isinstance(item, SkippedFile):
                self.skipped.append(item)
            else:
                self.failed.append(item)

    def queue(self, found: _Found) -> None:
        with self._changed:
            self.queued[found.path] = None

    def begin(self, found: _Found, watch: Watch) -> None:
        with self._changed:
            del self.queued[found.path]
            self.in_flight[found.path] = watch
            self.running += 1

    def end(self, found: _Found, result: Result | None) -> None:
        """The upload of `found` ended: with `result`, or None when the interrupt cut it."""
        with self._changed:
            if result is not None:
                del self.in_flight[found.path]
                self.add(result)
            self.running -= 1
            self._changed.notify_all()

    def busy(self) -> int:
        """Files queued or uploading."""
        return len(self.queued) + self.running

    def wait(self, busy_below: Callable[[], int]) -> None:
        """Wait until fewer than `busy_below()` files are queued or uploading."""
        with self._changed:
            # In short waits: a Ctrl-C handled by another thread is raised here within 0.1 s.
            while self.busy() >= busy_below():
                self._changed.wait(0.1)

    def wait_idle(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self.running == 0, timeout)

    def list_rest(self, folder: _Source) -> None:
        """After an interrupt: every file of `folder` not started yet goes to `not_started`.

        Walked afresh (the upload's own walk may have died with the interrupt); another Ctrl-C
        ends the listing where it got to.
        """
        with self._changed:
            known = {item[0] for item in (*self.uploaded, *self.skipped, *self.failed)}
            known.update(self.in_flight)
        try:
            for item in folder.walk():
                if item.path in known:
                    continue
                if isinstance(item, _Found):
                    self.not_started.append(item.path)
                else:
                    self.add(item)
        except KeyboardInterrupt:
            pass

    def report(self) -> UploadReport:
        def by_path(item: tuple[PurePath, Any]) -> PurePath:
            return item[0]

        with self._changed:
            in_flight = [InFlightFile(path, watch.sent) for path, watch in self.in_flight.items()]
            return UploadReport(
                tuple(sorted(self.uploaded, key=by_path)),
                tuple(sorted(self.skipped, key=by_path)),
                tuple(sorted(self.failed, key=by_path)),
                in_flight=tuple(sorted(in_flight, key=by_path)),
                not_started=tuple(sorted({*self.queued, *self.not_started})),
            )


def interrupted(error: BaseException, report: UploadReport, method: str) -> NoReturn:
    """Raise what an upload (`method`: "upload_folder", "upload_files") interrupted by `error`
    raises: for Ctrl-C an UploadInterrupted that is also a KeyboardInterrupt, else `error`
    itself (a cancellation) caused by one."""
    message = f"{method} interrupted: {report.summary()}"
    if isinstance(error, KeyboardInterrupt):
        raise UploadKeyboardInterrupt(message, report=report) from error
    raise error from UploadInterrupted(message, report=report)


@contextmanager
def _own_pool(resource: _Uploads) -> Iterator[_Uploads]:
    """`resource` over a connection pool of its own, if its client owns its pool."""
    client = resource._client
    if client._pool.given is not None:  # the caller's http_client=: not ours to replace
        yield resource
        return
    copy = type(client)(**client._settings())  # the same settings, a pool of its own
    copy._retry = client._retry
    copy._gate = client._gate  # one rate gate: a throttle pauses the client's other calls too
    try:
        yield type(resource)(copy)  # type: ignore[call-arg]
    finally:
        copy.close()


def run_threads(
    resource: _Uploads,
    datasource_id: str,
    folder: _Source,
    progress: _Progress,
    concurrency: int,
    ledger: Ledger,
    journal: Journal | None = None,
) -> None:
    """Upload the files of `folder`, `concurrency` threads at a time, into `ledger` (and each
    file stored into `journal`)."""
    cutter = Cutter()
    jobs: queue.SimpleQueue[_Found | None] = queue.SimpleQueue()
    threads: list[threading.Thread] = []

    pace = Concurrency(resource._client._gate, concurrency)

    def work(uploads: _Uploads) -> None:
        while (found := jobs.get()) is not None:
            if cutter.stopped.is_set():
                continue  # stays queued: not started
            watch = Watch(cutter)
            ledger.begin(found, watch)
            token = watching.set(watch)
            try:
                rounds = FileRounds(found, journal, progress.of_file())
                result = upload_sync(uploads, datasource_id, rounds, pace)
            finally:
                watching.reset(token)
            # An upload that failed because the interrupt cut it short is still in flight.
            error = result.error if isinstance(result, FailedFile) else None
            if cutter.stopped.is_set() and isinstance(error, APIConnectionError | Stopped):
                ledger.end(found, None)
            else:
                ledger.end(found, result)

    with _own_pool(resource) as uploads:
        try:
            for item in folder.walk():
                if not isinstance(item, _Found):
                    ledger.add(item)
                    continue
                ledger.wait(busy_below=lambda: pace.limit)
                ledger.queue(item)
                jobs.put(item)
                if len(threads) < concurrency:
                    # As a task or to_thread would run: in a copy of the caller's context.
                    thread = threading.Thread(
                        target=contextvars.copy_context().run,
                        args=(work, uploads),
                        name="meibel-upload",
                        daemon=True,
                    )
                    threads.append(thread)
                    thread.start()
            ledger.wait(busy_below=lambda: 1)
        except BaseException:
            cutter.cut()
            _settle(ledger, jobs, threads)
            raise
        for _ in threads:
            jobs.put(None)
        for thread in threads:
            thread.join()


def _settle(ledger: Ledger, jobs: queue.SimpleQueue[_Found | None], threads: list[Any]) -> None:
    """After the cut: let the workers end, for GRACE seconds at most (or until another Ctrl-C)."""
    end = time.monotonic() + GRACE
    for _ in threads:
        jobs.put(None)
    try:
        ledger.wait_idle(GRACE)
        for thread in threads:
            thread.join(max(end - time.monotonic(), 0))
    except KeyboardInterrupt:
        pass


async def run_tasks(
    resource: _AsyncUploads,
    datasource_id: str,
    folder: _Source,
    progress: _Progress,
    concurrency: int,
    ledger: Ledger,
    journal: Journal | None = None,
) -> None:
    """Upload the files of `folder`, `concurrency` tasks at a time, into `ledger` (and each
    file stored into `journal`)."""
    import anyio
    from anyio.to_thread import run_sync

    pace = Concurrency(resource._client._gate, concurrency)
    freed = anyio.Event()  # set when an upload ends; replaced by the loop that waited on it

    async def upload(found: _Found) -> None:
        nonlocal freed
        watch = Watch()
        ledger.begin(found, watch)
        watching.set(watch)  # in this task's own context
        result: Outcome | None = None
        try:
            rounds = FileRounds(found, journal, progress.of_file())
            result = await upload_async(resource, datasource_id, rounds, pace)
        finally:
            ledger.end(found, result)  # None: cancelled, in flight
            freed.set()

    walk = folder.walk()
    taken: deque[_Found | SkippedFile | FailedFile] = deque()
    try:
        async with anyio.create_task_group() as group:
            while await run_sync(take, walk, taken, _WALK_BATCH):
                while taken:
                    item = taken[0]
                    if isinstance(item, _Found):
                        while ledger.busy() >= pace.limit:
                            await freed.wait()
                            freed = anyio.Event()
                        ledger.queue(item)
                        group.start_soon(upload, item)
                    else:
                        ledger.add(item)
                    taken.popleft()
    finally:
        walk.close()
