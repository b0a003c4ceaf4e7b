"""The machinery of the waiters: one I/O-free state machine, and two drivers that do its steps.

`Waiter` decides every step of every wait (follow the stream, poll, sleep n seconds, done, failed,
timed out) from what the job said so far; `Job` says what a waiter knows of one kind of job. The
drivers do the steps: `drive` with blocking calls, `adrive` with awaited ones and anyio's sleep.
The namespaces' methods that use them are declared in meibel/_waiters.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    JobFailedError,
    JobTimeoutError,
    MeibelError,
    StreamDeadlineError,
    StreamEventError,
    StreamInterruptedError,
    StreamStalledError,
)
from ._retry import RetryPolicy, retry_after_seconds
from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    from ._streaming import AsyncEventStream, EventStream, StreamEvent

__all__ = [
    "MAX_POLL_INTERVAL",
    "OUTCOMES",
    "POLL_INTERVALS",
    "Budget",
    "Done",
    "Job",
    "Sleep",
    "Waiter",
    "adrive",
    "check_poll_interval",
    "drive",
]

MAX_POLL_INTERVAL: Final = 10.0
"""The longest pause between two status requests (unless `poll_interval` is longer)."""
POLL_INTERVALS: Final = (0.001, 3600.0)
"""The `poll_interval` a waiter accepts, in seconds: from a millisecond to an hour."""

# The one table of terminal states, for statuses the spec types as plain strings (DocumentStatus,
# DeepTransformJob, ScoringJobResponse) and for the names of stream events. Case-insensitive;
# True: the job succeeded, False: it failed; any other state means "not yet". docs/jobs.md shows it.
OUTCOMES: Final[Mapping[str, bool]] = {
    **dict.fromkeys(
        ("completed", "complete", "succeeded", "success", "done", "finished", "stream_complete"),
        True,
    ),
    # not_run: a scoring job the server decided not to run; it will never have a score.
    **dict.fromkeys(
        ("failed", "failure", "error", "errored", "cancelled", "canceled", "not_run"), False
    ),
}

# Answers that say "ask again later", not "the job is gone" (after the client's own retries).
_TRANSIENT_STATUSES = frozenset({408, 429, 502, 503, 504})
_TRANSIENT_ERRORS = (APIConnectionError, StreamInterruptedError, StreamStalledError)
_DEADLINE_ERRORS = (APITimeoutError, StreamDeadlineError, StreamStalledError)

Budget: TypeAlias = float | NotGiven
"""What is left of the wait for one call: seconds, or NOT_GIVEN (no timeout: the client's)."""


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Done:
    value: Any


POLL: Final = "poll"
FOLLOW: Final = "follow"
Step: TypeAlias = Sleep | Done | Literal["poll", "follow"]


@dataclass(frozen=True, slots=True)
class Job:
    """What a waiter knows of one kind of job."""

    noun: str  # names it in messages: "document job job_1 ..."
    polls: bool  # the spec has a status operation for it
    streams: bool  # the spec has a progress stream for it
    outcomes: Mapping[str, bool | None]  # its statuses' outcomes
    error_field: str | None = None  # the status model's field with the server's error message


_NOTHING: Any = object()


class Waiter:
    """The next step of a wait, given what the job said so far. No I/O: the drivers do that.

    `clock` is injectable for tests. The drivers call `start()`, then after each step the method
    for what happened: `polled(status)`, `event(event)` (None: keep reading), `stream_ended()`,
    `failed(error)` (None: re-raise it), `woke()`.
    """

    def __init__(
        self,
        job: Job,
        job_id: str,
        *,
        timeout: float | None,
        poll_interval: float,
        on_progress: Callable[[Any], object] | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_poll_interval(poll_interval)
        if timeout is not None:
            _check_number("timeout", timeout)
            if not timeout >= 0:
                raise ValueError(
                    f"timeout must be None or a number of seconds >= 0, not {timeout!r}"
                )
        self.job = job
        self.job_id = job_id
        self.timeout = timeout
        self._clock = clock
        # An infinite timeout waits as None does (clients refuse an infinite deadline).
        self._deadline = None if timeout is None or timeout == math.inf else clock() + timeout
        self._backoff = RetryPolicy(
            initial_delay=poll_interval, max_delay=max(poll_interval, MAX_POLL_INTERVAL)
        )
        self._pauses = 0
        self._mode: Literal["poll", "follow"] = FOLLOW if job.streams else POLL
        self._on_progress = on_progress
        self.last_status: Any = None
        self._last_state = "none received"
        self._last_error: MeibelError | None = None
        self._seen: object = _NOTHING

    # -- what the drivers ask ---------------------------------------------------------------

    def start(self) -> Step:
        return self._mode

    def budget(self) -> Budget:
        """The time left, for the next call's deadline (or a stream's idle timeout).

        Raises JobTimeoutError when none is left: no call is started past the timeout.
        """
        if self._deadline is None:
            return NOT_GIVEN
        left = self._deadline - self._clock()
        if left <= 0:
            raise self._timed_out(None)
        return left

    def polled(self, status: Any) -> Step:
        """A status model arrived."""
        self.last_status = status
        state = str(getattr(status, "status", ""))
        self._last_state = repr(state)
        snapshot = status.to_dict() if hasattr(status, "to_dict") else status
        if snapshot != self._seen:
            self._seen = snapshot
            self._report(status)
        outcome = self.job.outcomes.get(state.lower())
        if outcome:
            return Done(status)
        if outcome is False:
            error = getattr(status, self.job.error_field or "", None)  # None when it had none
            error = error if isinstance(error, str) and error else None
            raise self._job_failed(status, f"status {state!r}", error)
        return self._pause(None)

    def event(self, event: StreamEvent[Any]) -> Step | None:
        """An event of the progress stream arrived; None: read on."""
        self.last_status = event
        self._last_state = f"a {event.type!r} event"
        self._seen = _NOTHING
        self._report(event)
        outcome = OUTCOMES.get(_event_name(event).lower())
        if outcome is None:
            self._check_deadline(None)
            return None
        if self.job.polls:
            self._mode = POLL  # the status operation has the terminal model: ask it now
            return POLL
        if outcome:
            return Done(event)
        raise self._job_failed(event, f"a {event.type!r} event", _error_text(event.data))

    def stream_ended(self) -> Step:
        """The stream ended without a terminal event: poll instead, or open it again later."""
        if self.job.polls:
            self._mode = POLL
            return POLL
        return self._pause(None)

    def failed(self, error: MeibelError) -> Step | None:
        """A call failed; None: the error is the caller's (the driver re-raises it)."""
        self._check_deadline(error)  # a call cut off by the time left: the wait timed out
        if isinstance(error, StreamEventError) and not self.job.polls:
            raise self._job_failed(
                error.body, "an 'error' event", _error_text(error.body)
            ) from error
        transient = isinstance(error, _TRANSIENT_ERRORS) or (
            isinstance(error, APIStatusError) and error.status_code in _TRANSIENT_STATUSES
        )
        if self._mode == FOLLOW and self.job.polls:
            # No usable stream (404, 405, 501, an error event, ...): the status operation says.
            self._mode = POLL
            if not transient:
                return POLL
        elif not transient:
            return None
        self._last_error = error
        retry_after = (
            retry_after_seconds(error.response.headers)
            if isinstance(error, APIStatusError)
            else None
        )
        return self._pause(retry_after)

    def woke(self) -> Step:
        """A pause ended."""
        self._check_deadline(None)
        return self._mode

    # -- inside -----------------------------------------------------------------------------

    def next_pause(self) -> float:
        """The backoff's next pause: doubling from poll_interval up to the cap, with jitter."""
        pause = self._backoff.backoff(self._pauses)
        self._pauses += 1
        return pause

    def _pause(self, retry_after: float | None) -> Step:
        seconds = self.next_pause() if retry_after is None else retry_after
        left = self.budget()
        return Sleep(seconds if isinstance(left, NotGiven) else min(seconds, left))

    def _check_deadline(self, cause: BaseException | None) -> None:
        if self._deadline is not None and self._clock() >= self._deadline:
            raise self._timed_out(cause) from cause

    def _report(self, update: object) -> None:
        if self._on_progress is not None:
            self._on_progress(update)

    def _job_failed(self, status: object, what: str, error: str | None) -> JobFailedError:
        message = f"{self.job.noun} {self.job_id} ended with {what}"
        if error:
            message += f": {error}"
        return JobFailedError(message, job_id=self.job_id, status=status, error=error)

    def _timed_out(self, cause: BaseException | None) -> JobTimeoutError:
        timeout = self.timeout or 0.0
        message = (
            f"{self.job.noun} {self.job_id} did not end within the timeout of {timeout:g} s; "
            f"last state seen: {self._last_state}"
        )
        # A timeout at the deadline is the deadline itself (each call had only the time left).
        error = None if isinstance(cause, _DEADLINE_ERRORS) else cause
        error = error or self._last_error
        if error is not None:
            message += f"; last error: {error}"
        return JobTimeoutError(
            message, job_id=self.job_id, timeout=timeout, last_status=self.last_status
        )


def check_poll_interval(poll_interval: float) -> None:
    """Raise unless `poll_interval` is a number of seconds within POLL_INTERVALS.

    Shorter would hammer the server; longer is no polling (and 1e308 overflows a sleep).
    """
    _check_number("poll_interval", poll_interval)
    low, high = POLL_INTERVALS
    if not low <= poll_interval <= high:  # also refuses nan
        raise ValueError(
            f"poll_interval must be between {low:g} and {high:g} seconds, not {poll_interval!r}"
        )


def _check_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")


def _event_name(event: StreamEvent[Any]) -> str:
    """An event's name, or for an unnamed one the `type` (or `event`) its payload gives."""
    if event.type != "message":
        return event.type
    data = event.data
    if isinstance(data, dict):
        name = data.get("type", data.get("event"))
        if isinstance(name, str):
            return name
    return ""


def _error_text(value: object) -> str | None:
    """The server's error message in an event's payload, if it gave one."""
    if isinstance(value, dict):
        for key in ("error", "message", "detail"):
            found = value.get(key)
            if isinstance(found, dict):
                found = found.get("message", found.get("detail"))
            if isinstance(found, str) and found:
                return found
    return None


# -- the drivers: the same steps, blocking or awaited ---------------------------------------------


def drive(
    waiter: Waiter,
    poll: Callable[[Budget], Any] | None,
    follow: Callable[[Budget], EventStream[Any]] | None,
) -> Any:
    """Run `waiter` with blocking calls (`poll`: the status operation; `follow`: the stream)."""
    step = waiter.start()
    while True:
        if isinstance(step, Done):
            return step.value
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            step = waiter.woke()
            continue
        try:
            if step == POLL:
                assert poll is not None
                step = waiter.polled(poll(waiter.budget()))
            else:
                assert follow is not None
                step = _follow(waiter, follow(waiter.budget()))
        except (JobFailedError, JobTimeoutError):
            raise
        except MeibelError as error:
            after = waiter.failed(error)
            if after is None:
                raise
            step = after


def _follow(waiter: Waiter, stream: EventStream[Any]) -> Step:
    with stream:
        for event in stream:
            step = waiter.event(event)
            if step is not None:
                return step
    return waiter.stream_ended()


async def adrive(
    waiter: Waiter,
    poll: Callable[[Budget], Awaitable[Any]] | None,
    follow: Callable[[Budget], Awaitable[AsyncEventStream[Any]]] | None,
) -> Any:
    """Run `waiter` with awaited calls, pausing with anyio's sleep."""
    import anyio  # here, not at import: only async waits need it

    step = waiter.start()
    while True:
        if isinstance(step, Done):
            return step.value
        if isinstance(step, Sleep):
            await anyio.sleep(step.seconds)
            step = waiter.woke()
            continue
        try:
            if step == POLL:
                assert poll is not None
                step = waiter.polled(await poll(waiter.budget()))
            else:
                assert follow is not None
                step = await _afollow(waiter, await follow(waiter.budget()))
        except (JobFailedError, JobTimeoutError):
            raise
        except MeibelError as error:
            after = waiter.failed(error)
            if after is None:
                raise
            step = after


async def _afollow(waiter: Waiter, stream: AsyncEventStream[Any]) -> Step:
    async with stream:
        async for event in stream:
            step = waiter.event(event)
            if step is not None:
                return step
    return waiter.stream_ended()
