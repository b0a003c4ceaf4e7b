"""Jobs the fake runs: each moves on one step per poll of its status (or per progress event).

With `steps` = FakeMeibel(job_steps=...) (2 by default), the first poll answers the kind's
queued status, the next ones its processing status, and poll `steps + 1` onwards its terminal
status: done, or failed with an error when `fail_job(kind)` marked the job.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ._answer import sse
from ._schema import spec

__all__ = ["JOB_KINDS", "JOB_STATES", "Job", "now", "progress_events"]

# kind -> (queued, processing, done, failed): the values the spec gives each status field.
JOB_STATES: dict[str, tuple[str, str, str, str]] = {
    "document": ("queued", "processing", "completed", "failed"),  # DocumentStatus.status
    "deep_transform": ("queued", "running", "succeeded", "failed"),  # DeepTransformJob.status
    "ingest": ("running", "running", "completed", "failed"),  # IngestStatus (enum)
    "download": ("queued", "processing", "completed", "failed"),  # DownloadJobResponse.status
    "scoring": ("submitted", "in_progress", "completed", "failed"),  # ScoringJobResponse.status
    "upload": ("queued", "processing", "completed", "failed"),  # upload progress events
}
JOB_KINDS = tuple(JOB_STATES)
"""The kinds of job the fake runs, as `FakeMeibel.fail_job(kind)` names them."""


def now() -> str:
    """The current UTC time, ISO 8601 with a Z."""
    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Job:
    """A job of one of JOB_KINDS; `status` moves on with each `poll()`.

    `fails_with` is set when the job was scripted to fail (`FakeMeibel.fail_job`); `info` holds
    what the kind's answers need (the datasource, the file, the request...).
    """

    kind: str
    job_id: str
    steps: int
    fails_with: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    status: str = ""
    polls: int = 0
    created_at: str = field(default_factory=now)
    finished_at: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in JOB_STATES:
            raise ValueError(f"unknown job kind {self.kind!r}: one of {', '.join(JOB_KINDS)}")
        if not self.status:
            self.status = JOB_STATES[self.kind][0]

    @property
    def terminal(self) -> bool:
        return self.status in JOB_STATES[self.kind][2:]

    @property
    def failed(self) -> bool:
        return self.status == JOB_STATES[self.kind][3]

    @property
    def error(self) -> str | None:
        """The failure reason, once the job has failed."""
        return self.fails_with if self.failed else None

    @property
    def progress(self) -> float:
        """How far along the job is, 0.0 to 1.0."""
        return 1.0 if self.terminal else min(self.polls, self.steps) / (self.steps + 1)

    def poll(self) -> str:
        """One status request: the next status (terminal ones stay)."""
        if self.terminal:
            return self.status
        self.polls += 1
        queued, processing, done, failed = JOB_STATES[self.kind]
        if self.polls > self.steps:
            self.status = done if self.fails_with is None else failed
            self.finished_at = now()
        else:
            self.status = queued if self.polls == 1 else processing
        return self.status


def progress_events(
    operation_id: str,
    job: Job,
    ids: dict[str, Any],
    *,
    start: str | None = "connected",
    steps: tuple[str, ...] = ("progress",),
    done: str = "stream_complete",
) -> list[bytes | float]:
    """A progress stream that runs `job` to its end: `start`, one event per step (named from
    `steps`, the last name repeating), then `done`, or `error` when the job fails. Every event
    is checked against the spec first."""
    chunks: list[bytes | float] = []

    def emit(name: str, data: dict[str, Any]) -> None:
        spec().check_event(operation_id, name, data)
        chunks.append(sse(name, data))

    if start is not None:
        emit(start, {**ids, "status": job.status})
    step = 0
    while not job.terminal:
        status = job.poll()
        if not job.terminal:
            name = steps[min(step, len(steps) - 1)]
            emit(name, {**ids, "status": status, "progress": round(job.progress * 100)})
            step += 1
    if job.failed:
        emit("error", {**ids, "status": job.status, "message": job.error})
    else:
        emit(done, {**ids, "status": job.status, "progress": 100})
    return chunks
