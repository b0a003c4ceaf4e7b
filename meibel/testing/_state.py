"""FakeMeibel's state and the helpers every group of operation handlers shares."""

from __future__ import annotations

import copy
import itertools
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from ._answer import Answer, HTTPError
from ._jobs import Job
from ._records import FakeSession, ParseJob, RecordedChat, RecordedRequest, Reply, Upload
from ._schema import FakeSchemaError, Spec, using

__all__ = ["PREFIX", "FakeState", "StateView", "Stub"]

PREFIX = "/v2"

_V = TypeVar("_V")


class StateView(Mapping[str, _V]):
    """One kind of the fake's state, read-only: the keys as they are now, each value a copy of
    the record as it is when read. Seeding goes through `FakeMeibel.seed()` or the API."""

    __slots__ = ("_data", "_lock", "_name", "_seed_as")

    def __init__(
        self,
        name: str,
        data: dict[str, _V],
        lock: threading.RLock,
        seed_as: str | tuple[str, ...] | None = None,
    ) -> None:
        self._name = name
        self._data = data
        self._lock = lock
        # The resource(s) seed() makes them as, if it does.
        self._seed_as = (seed_as,) if isinstance(seed_as, str) else seed_as

    def __getitem__(self, key: str) -> _V:
        with self._lock:
            return copy.deepcopy(self._data[key])

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<read-only fake.{self._name}: {', '.join(map(repr, self))}>"

    def _refuse(self, *_: object, **__: object) -> NoReturn:
        how = "change it through the API"
        if self._seed_as:
            names = " | ".join(map(repr, self._seed_as))
            how = (
                f"add one with fake.seed({names}, id, ...) or through the API, and "
                "change or delete it through the API"
            )
        raise TypeError(f"fake.{self._name} is read-only: {how}")

    __setitem__ = __delitem__ = pop = popitem = clear = update = setdefault = _refuse


@dataclass
class Stub:
    """A scripted answer, and how many more requests it answers (None: every one)."""

    answer: Answer
    remaining: int | None


class FakeState:
    """What the fake knows: its state is kept private, and read through read-only views."""

    def __init__(self, *, job_steps: int = 2, spec: Spec | None = None) -> None:
        if job_steps < 0:
            raise ValueError("job_steps must be 0 or more")
        self.job_steps = job_steps
        self._spec = spec  # None: the shipped spec
        # The generic answerer's records (collection path -> id -> record), and the ids of the
        # parents each one lives under.
        self._records: dict[str, dict[str, dict[str, Any]]] = {}
        self._owners: dict[str, dict[str, dict[str, str]]] = {}
        self._sessions: dict[str, FakeSession] = {}
        self._agents: dict[str, dict[str, Any]] = {}
        self._artifact_schemas: dict[str, dict[str, Any]] = {}
        self._datasources: dict[str, dict[str, Any]] = {}
        self.uploads: list[Upload] = []
        self._data_elements: dict[str, dict[str, Any]] = {}
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._catalog: dict[str, dict[str, Any]] = {}  # metadata models by model_id
        self._parse_jobs: dict[str, ParseJob] = {}
        self._jobs: dict[str, Job] = {}
        self.requests: list[RecordedRequest] = []
        self.chats: list[RecordedChat] = []
        self.schema_errors: list[FakeSchemaError] = []
        self._replies: deque[Reply] = deque()
        self._failures: deque[tuple[int, object]] = deque()
        self._job_failures: dict[str, deque[str]] = {}
        self._stubs: dict[str, deque[Stub]] = {}
        self._counter = 0
        self._order = itertools.count()
        # Every request is answered holding it: the server answers on many threads at once.
        self._lock = threading.RLock()

    # ----- what tests read ----------------------------------------------------------------

    @property
    def sessions(self) -> Mapping[str, FakeSession]:
        """Sessions by id (read-only; copies)."""
        return StateView("sessions", self._sessions, self._lock, "sessions")

    @property
    def agents(self) -> Mapping[str, dict[str, Any]]:
        """Agents by id, with their `versions` (read-only; copies)."""
        return StateView("agents", self._agents, self._lock, "agents")

    @property
    def artifact_schemas(self) -> Mapping[str, dict[str, Any]]:
        """Artifact schemas by id, as getArtifactSchema answers them (read-only; copies)."""
        return StateView("artifact_schemas", self._artifact_schemas, self._lock, "artifact-schemas")

    @property
    def datasources(self) -> Mapping[str, dict[str, Any]]:
        """Datasources by id, as getDatasource answers them (read-only; copies)."""
        return StateView("datasources", self._datasources, self._lock, "datasources")

    @property
    def data_elements(self) -> Mapping[str, dict[str, Any]]:
        """Data elements by id, as getDataElement answers them (read-only; copies)."""
        return StateView("data_elements", self._data_elements, self._lock, "data-elements")

    @property
    def tables(self) -> Mapping[str, dict[str, dict[str, Any]]]:
        """Each datasource's tables by name, with their columns (read-only; copies)."""
        return StateView("tables", self._tables, self._lock, "tables")

    @property
    def parse_jobs(self) -> Mapping[str, ParseJob]:
        """parseDocument jobs by id: the file and its status (read-only; copies)."""
        return StateView("parse_jobs", self._parse_jobs, self._lock, "documents")

    @property
    def jobs(self) -> Mapping[str, Job]:
        """Every job of every kind by id (read-only; copies)."""
        kinds = ("documents", "deep-transform", "job", "downloads", "uploads")
        return StateView("jobs", self._jobs, self._lock, kinds)

    @property
    def metadata_models(self) -> Mapping[str, dict[str, Any]]:
        """The metadata model catalog by model_id, as getMetadataModelCatalogEntry answers each
        (read-only; copies)."""
        return StateView("metadata_models", self._catalog, self._lock, "metadata-model-catalog")

    # ----- helpers ------------------------------------------------------------------------

    def _using(self) -> AbstractContextManager[None]:
        """A block in which `spec()` is the one this fake was built on."""
        return using(self._spec)

    def _id(self, prefix: str, *, uuid: bool = False) -> str:
        """A new id, never one a seeded record already has ("<prefix>_<n>", or a UUID)."""
        stores: tuple[Mapping[str, object], ...] = (
            self._sessions, self._agents, self._artifact_schemas, self._datasources,
            self._data_elements, self._jobs, self._catalog, *self._records.values(),
        )  # fmt: skip
        while True:
            self._counter += 1
            candidate = f"{prefix}_{self._counter}"
            if uuid:
                candidate = f"00000000-0000-4000-8000-{self._counter:012x}"
            if not any(candidate in store for store in stores):
                return candidate

    def _sequence(self) -> int:
        """A creation order, for sorting things created within the same clock tick."""
        return next(self._order)

    def _session(self, session_id: str) -> FakeSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise HTTPError(404, f"Session {session_id} not found")
        return session

    def _datasource(self, datasource_id: str) -> dict[str, Any]:
        datasource = self._datasources.get(datasource_id)
        if datasource is None:
            raise HTTPError(404, f"Datasource {datasource_id} not found")
        return datasource

    def _new_job(self, kind: str, job_id: str, **info: Any) -> Job:
        """A job of `kind`; it fails if `fail_job(kind)` asked for that."""
        pending = self._job_failures.get(kind)
        fails_with = pending.popleft() if pending else None
        job = Job(kind, job_id, self.job_steps, fails_with, info)
        self._jobs[job_id] = job
        return job

    def _job(self, kind: str, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.kind != kind:
            raise HTTPError(404, f"Job {job_id} not found")
        return job
