"""Confidence scoring: one "faithfulness" scoring job per completed chat turn, and summaries.

A job moves on with each getScoringJob (submitted, in_progress, then completed with a score of
8, or the one it was seeded with, or failed with the reason in `explanation`); listing and
summaries only read.
"""

from __future__ import annotations

from typing import Any

from ._answer import Answer
from ._jobs import Job
from ._records import FakeSession
from ._state import FakeState

__all__ = ["CONTEXT", "EXPLANATION", "FAKE_SCORE", "ScoringHandlers"]

FAKE_SCORE = 8
EXPLANATION = "The answer is supported by its sources."
CONTEXT = (
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
        job_id = f"score_{count + 1}"
        while job_id in self._jobs:  # a seeded job's id
            count += 1
            job_id = f"score_{count + 1}"
        return self._new_job("scoring", job_id, module="faithfulness", **context)

    def _scoring(self, job: Job) -> dict[str, Any]:
        done = job.status == "completed"
        context: dict[str, Any] = {name: job.info.get(name) for name in CONTEXT}
        context["customer_id"] = job.info.get("customer_id", "fake-customer")
        context["project_id"] = job.info.get("project_id", "fake-project")
        explanation = job.info.get("explanation", EXPLANATION)
        return {
            "job_id": job.job_id,
            "status": job.status,
            "module": job.info["module"],
            "score": _score(job) if done else None,
            "explanation": explanation if done else job.error,
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
        wanted = {name: value for name, value in query.items() if name in CONTEXT and value}
        return Answer(200, [self._scoring(job) for job in self._scoring_jobs(**wanted)])

    def _op_getAgentScoringSummary(self, *, params: dict[str, str], **_: Any) -> Answer:
        jobs = self._scoring_jobs(agent_name=params["agent_name"])
        turns: dict[int | None, list[Job]] = {}
        for job in jobs:
            turn = job.info.get("agent_turn")
            turns.setdefault(None if turn is None else int(turn), []).append(job)
        summary = _summary(jobs)
        # By turn number, the jobs without one (seeded so) last.
        order = sorted(turns, key=lambda turn: (turn is None, turn or 0))
        summary["turns"] = [{"turn": turn, **_summary(turns[turn])} for turn in order]
        return Answer(200, summary)

    def _op_getAgentSessionScoringSummary(self, *, params: dict[str, str], **_: Any) -> Answer:
        jobs = self._scoring_jobs(
            agent_name=params["agent_name"], agent_session_id=params["session_id"]
        )
        return Answer(200, {**_summary(jobs), "turns": None})


def _summary(jobs: list[Job]) -> dict[str, Any]:
    """Scores of the completed jobs, by module; the status of the lot."""
    scored = [job for job in jobs if job.status == "completed"]
    modules: dict[str, list[float]] = {}
    for job in scored:
        modules.setdefault(job.info["module"], []).append(_score(job))
    if not jobs:
        status = "not_run"
    elif all(job.terminal for job in jobs):
        status = "completed"
    else:
        status = "in_progress"
    return {
        "aggregate_score": _mean([_score(job) for job in scored]) if scored else None,
        "job_ids": [job.job_id for job in jobs],
        "module_scores": {module: sum(s) / len(s) for module, s in modules.items()},
        "n_jobs_per_module": {module: len(s) for module, s in modules.items()},
        "status": status,
    }


def _score(job: Job) -> float:
    """A completed job's score: FAKE_SCORE, or the one it was seeded with."""
    score: float = job.info.get("score", FAKE_SCORE)
    return score


def _mean(scores: list[float]) -> float:
    """The average; a whole number stays an int, as the API's judge scores are."""
    mean = sum(scores) / len(scores)
    return int(mean) if mean == int(mean) and all(isinstance(s, int) for s in scores) else mean
