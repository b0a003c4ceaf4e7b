"""Confidence scoring: one "faithfulness" scoring job per completed chat turn, and summaries.

A job moves on with each getScoringJob (submitted, in_progress, then completed with a score of
8, or failed with the reason in `explanation`); listing and summaries only read.
"""

from __future__ import annotations

from typing import Any

from ._answer import Answer
from ._jobs import Job
from ._records import FakeSession
from ._state import FakeState

__all__ = ["FAKE_SCORE", "ScoringHandlers"]

FAKE_SCORE = 8
_CONTEXT = (
    "agent_name", "agent_version", "agent_session_id", "agent_turn", "agent_workflow_name",
    "agent_workflow_version", "agent_workflow_session_id", "batch_definition_id",
    "batch_execution_id", "tool_id", "tool_instance_id", "tool_execution_id",
)  # fmt: skip


class ScoringHandlers(FakeState):
    """getScoringJob, listScoringJobs and the two score summaries."""

    def _score_turn(self, session: FakeSession, agent_name: str, version: str | None) -> Job:
        """The scoring job of a chat turn that just completed."""
        turn = sum(item["type"] == "agent_response" for item in session.messages)
        count = sum(job.kind == "scoring" for job in self._jobs.values())
        context = {
            "agent_name": agent_name,
            "agent_version": version,
            "agent_session_id": session.id,
            "agent_turn": turn,
        }
        return self._new_job("scoring", f"score_{count + 1}", module="faithfulness", **context)

    def _scoring(self, job: Job) -> dict[str, Any]:
        done = job.status == "completed"
        context: dict[str, Any] = {name: job.info.get(name) for name in _CONTEXT}
        context.update(customer_id="fake-customer", project_id="fake-project")
        return {
            "job_id": job.job_id,
            "status": job.status,
            "module": job.info["module"],
            "score": FAKE_SCORE if done else None,
            "explanation": "The answer is supported by its sources." if done else job.error,
            "agent_identity_context": context,
        }

    def _scoring_jobs(self, **context: str) -> list[Job]:
        return [
            job
            for job in self._jobs.values()
            if job.kind == "scoring"
            and all(str(job.info.get(name)) == value for name, value in context.items())
        ]

    def _op_getScoringJob(self, *, params: dict[str, str], **_: Any) -> Answer:
        job = self._job("scoring", params["job_id"])
        job.poll()
        return Answer(200, self._scoring(job))

    def _op_listScoringJobs(self, *, query: dict[str, str], **_: Any) -> Answer:
        wanted = {name: value for name, value in query.items() if name in _CONTEXT and value}
        return Answer(200, [self._scoring(job) for job in self._scoring_jobs(**wanted)])

    def _op_getAgentScoringSummary(self, *, params: dict[str, str], **_: Any) -> Answer:
        jobs = self._scoring_jobs(agent_name=params["agent_name"])
        turns: dict[int, list[Job]] = {}
        for job in jobs:
            turns.setdefault(int(job.info["agent_turn"]), []).append(job)
        summary = _summary(jobs)
        summary["turns"] = [{"turn": turn, **_summary(group)} for turn, group in turns.items()]
        return Answer(200, summary)

    def _op_getAgentSessionScoringSummary(self, *, params: dict[str, str], **_: Any) -> Answer:
        jobs = self._scoring_jobs(
            agent_name=params["agent_name"], agent_session_id=params["session_id"]
        )
        return Answer(200, {**_summary(jobs), "turns": None})


def _summary(jobs: list[Job]) -> dict[str, Any]:
    """Scores of the completed jobs, by module; the status of the lot."""
    scored = [job for job in jobs if job.status == "completed"]
    modules: dict[str, list[int]] = {}
    for job in scored:
        modules.setdefault(job.info["module"], []).append(FAKE_SCORE)
    if not jobs:
        status = "not_run"
    elif all(job.terminal for job in jobs):
        status = "completed"
    else:
        status = "in_progress"
    return {
        "aggregate_score": FAKE_SCORE if scored else None,
        "job_ids": [job.job_id for job in jobs],
        "module_scores": {module: sum(s) / len(s) for module, s in modules.items()},
        "n_jobs_per_module": {module: len(s) for module, s in modules.items()},
        "status": status,
    }
