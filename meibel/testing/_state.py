"""FakeMeibel's state and the helpers every group of operation handlers shares."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any

from ._answer import Answer, HTTPError
from ._jobs import Job
from ._records import FakeSession, ParseJob, RecordedChat, RecordedRequest, Reply, Upload
from ._schema import FakeSchemaError

__all__ = ["PREFIX", "FakeState"]

PREFIX = "/v2"


class FakeState:
    """What the fake knows; public attributes are for tests to read (and arrange)."""

    def __init__(self, *, job_steps: int = 2) -> None:
        if job_steps < 0:
            raise ValueError("job_steps must be 0 or more")
        self.job_steps = job_steps
        self.sessions: dict[str, FakeSession] = {}
        self.agents: dict[str, dict[str, Any]] = {}
        self.artifact_schemas: dict[str, dict[str, Any]] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.uploads: list[Upload] = []
        self.data_elements: dict[str, dict[str, Any]] = {}
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self.parse_jobs: dict[str, ParseJob] = {}
        self.jobs: dict[str, Job] = {}
        self.requests: list[RecordedRequest] = []
        self.chats: list[RecordedChat] = []
        self.schema_errors: list[FakeSchemaError] = []
        self._replies: deque[Reply] = deque()
        self._failures: deque[tuple[int, object]] = deque()
        self._job_failures: dict[str, deque[str]] = {}
        self._stubs: dict[str, deque[Answer]] = {}
        self._counter = 0
        self._order = itertools.count()
        # Every request is answered holding it: the server answers on many threads at once.
        self._lock = threading.RLock()

    def _id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{self._counter}"

    def _sequence(self) -> int:
        """A creation order, for sorting things created within the same clock tick."""
        return next(self._order)

    def _session(self, session_id: str) -> FakeSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise HTTPError(404, f"Session {session_id} not found")
        return session

    def _datasource(self, datasource_id: str) -> dict[str, Any]:
        datasource = self.datasources.get(datasource_id)
        if datasource is None:
            raise HTTPError(404, f"Datasource {datasource_id} not found")
        return datasource

    def _new_job(self, kind: str, job_id: str, **info: Any) -> Job:
        """A job of `kind`; it fails if `fail_job(kind)` asked for that."""
        pending = self._job_failures.get(kind)
        fails_with = pending.popleft() if pending else None
        job = Job(kind, job_id, self.job_steps, fails_with, info)
        self.jobs[job_id] = job
        return job

    def _job(self, kind: str, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.kind != kind:
            raise HTTPError(404, f"Job {job_id} not found")
        return job
