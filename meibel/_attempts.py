"""The attempts of one call: everything the send loop decides between two sends, without I/O.

MeibelClient and AsyncMeibelClient each send, read and sleep their own way (blocking, awaited);
what they do between those steps is here, once: fit each attempt into the call's deadline, log it,
note whether its request was sent in full (meibel/_delivery.py), decide whether and when to send
again (meibel/_retry.py), hold it at the client's rate gate (meibel/_rate_gate.py), and word the
error when it is not.
"""

from __future__ import annotations

import time

import httpx2

from ._deadline import Deadline, DeadlineStream
from ._delivery import SentBody, watching
from ._exceptions import APIConnectionError, APITimeoutError, status_error
from ._logging import logger
from ._rate_gate import RateGate
from ._retry import NEVER_SENT, RetryPolicy, retry_after_seconds

__all__ = ["Attempts", "connection_error"]

# One line per attempt: method, URL, status or error, time, retries so far. Never a header.
_LINE = "%s %s -> %s in %.0f ms (retries: %d)"


class Attempts:
    """The attempts at sending `request`; the first begins when this is made.

    Before each attempt, the loop waits `held()` seconds (the client's rate gate, mostly 0).
    It calls `bound(response)` before reading a body. Then `after_error(error)`, or
    `answered(response)` (True: it is the call's answer) and else `after_status(response)`, give
    the seconds to wait before sending again, or raise the call's error. It waits
    `before_next(seconds)`, which raises instead if the deadline would pass, then calls `start()`.
    """

    __slots__ = (
        "_body",
        "_deadline",
        "_first",
        "_gate",
        "_max_retries",
        "_policy",
        "_started",
        "_timeouts",
        "_watch",
        "count",
        "request",
    )

    def __init__(
        self,
        request: httpx2.Request,
        deadline: Deadline | None,
        policy: RetryPolicy,
        max_retries: int,
        gate: RateGate,
    ) -> None:
        self.request = request
        self._gate = gate
        self.count = 0  # retries so far
        self._deadline = deadline
        self._policy = policy
        self._max_retries = max_retries
        self._first = self._started = time.monotonic()
        self._timeouts = request.extensions.get("timeout", {})
        if deadline is not None:
            deadline.cap(request, self._timeouts)
        self._watch = watching.get()
        self._body = request.stream = SentBody(request.stream, self._watch)
        if self._watch is not None:
            self._watch.attach(request, self._body)

    def start(self) -> None:
        """The next attempt begins: its timeouts are capped at what is left of the deadline."""
        self._started = time.monotonic()
        self._body.sent = False
        if self._watch is not None:
            self._watch.check()
        if self._deadline is not None:
            self._deadline.cap(self.request, self._timeouts)

    def held(self) -> float:
        """Seconds to wait before this attempt while the client's rate gate is closed (0.0 when
        open); raises instead if the deadline would pass first."""
        wait = self._gate.wait()
        if not wait:
            return 0.0
        deadline = self._deadline
        if deadline is not None and wait >= deadline.remaining():
            raise self._deadline_error(False)
        return wait if self._watch is None else self._watch.pause(wait)

    def bound(self, response: httpx2.Response) -> None:
        """Reading `response`'s body ends by the deadline too."""
        if self._deadline is not None:
            response.stream = DeadlineStream(response, self._deadline)

    def after_error(self, error: httpx2.TransportError) -> float:
        """Seconds to wait before sending again after `error`; raises if it is not sent again."""
        request, deadline = self.request, self._deadline
        self._log(type(error).__name__)
        sent = self.sent(error)
        if deadline is not None and deadline.expired():
            raise self._deadline_error(sent, error) from error
        delay = self._policy.delay_for_error(request.method, error, self.count)
        if delay is None or not self._body.replayable:
            raise connection_error(error, request, self._note(), sent=sent) from error
        return delay

    def sent(self, error: httpx2.TransportError | None = None) -> bool:
        """Whether the last attempt's request reached the connection whole (before `error`)."""
        return self._body.sent and not isinstance(error, NEVER_SENT)

    def answered(self, response: httpx2.Response) -> bool:
        """An answer came (logged here, inline: every call passes): whether it is a 2xx."""
        request = self.request
        elapsed = (time.monotonic() - self._started) * 1000
        logger.debug(_LINE, request.method, request.url, response.status_code, elapsed, self.count)
        if response.is_success:
            self._gate.succeeded()
            return True
        return False

    def after_status(self, response: httpx2.Response) -> float:
        """Seconds to wait before sending again after a non-2xx; raises if it is not sent again."""
        request = self.request
        status = response.status_code
        if status == 429:
            self._body.sent = False  # the server says it did not process it
        if status in (429, 503):  # every call of the client waits, not only this one
            self._close_gate(response)
        delay = self._policy.delay_for_response(request.method, response, self.count)
        if delay is None or not self._body.replayable:
            raise status_error(response, note=self._note())
        return delay

    def _close_gate(self, response: httpx2.Response) -> None:
        policy = self._policy
        asked = retry_after_seconds(response.headers)
        if asked is None:
            pause = self._gate.backoff(policy.max_delay)
        else:
            pause = min(asked, policy.max_retry_after)
        self._gate.close_for(pause)

    def before_next(self, delay: float) -> float:
        """`delay`, unless the deadline would pass before the next attempt (then it raises).

        In a sync folder upload's worker the wait happens here, ended early by an interrupt.
        """
        deadline = self._deadline
        if deadline is not None and delay >= deadline.remaining():
            raise self._deadline_error(self._body.sent)
        self.count += 1
        return delay if self._watch is None else self._watch.pause(delay)

    def _log(self, outcome: str) -> None:
        elapsed = (time.monotonic() - self._started) * 1000
        request = self.request
        logger.debug(_LINE, request.method, request.url, outcome, elapsed, self.count)

    def _note(self) -> str:
        """How hard the call tried, for the message of its final error ("" for one attempt)."""
        if self.count == 0:
            return ""
        elapsed = time.monotonic() - self._first
        return (
            f"after {self.count + 1} attempts over {elapsed:.1f} s; max_retries={self._max_retries}"
        )

    def _deadline_error(
        self, sent: bool, error: httpx2.TransportError | None = None
    ) -> APITimeoutError:
        assert self._deadline is not None
        note = self._note()
        request = self.request
        tried = f" ({note})" if note else ""
        return APITimeoutError(
            f"{request.method} {request.url}: no complete answer within the deadline of "
            f"{self._deadline.seconds:g} s{tried}{_delivery(sent, error)}",
            request=request,
            request_sent=sent,
        )


def _delivery(sent: bool, error: httpx2.TransportError | None = None) -> str:
    """What reached the server, in words, for an error's message."""
    if sent:
        return "; the request was sent in full, so the server may have processed it"
    if isinstance(error, NEVER_SENT):
        return "; the request was never sent"
    return "; the request was not sent in full"


def connection_error(
    error: httpx2.TransportError, request: httpx2.Request, note: str = "", *, sent: bool = True
) -> APIConnectionError:
    """The SDK's error for a transport error (APITimeoutError for a timeout), cause and all.

    `sent`: whether the whole request had reached the connection (see APIConnectionError).
    """
    timed_out = isinstance(error, httpx2.TimeoutException)
    kind = APITimeoutError if timed_out else APIConnectionError
    reason = (str(error) or type(error).__name__).rstrip(".")
    if isinstance(error, httpx2.PoolTimeout):
        waited = request.extensions.get("timeout", {}).get("pool")
        within = "in time" if waited is None else f"within the pool timeout of {waited:g} s"
        reason = (
            f"the connection pool is exhausted: no connection became free {within}, each "
            "being held by a response not closed yet (most often a stream or download "
            "neither read to its end nor closed: use `with`, or close() it)"
        )
    if note and timed_out:
        reason = f"timed out {note}" + ("" if reason == "timed out" else f" ({reason})")
    elif note:
        reason = f"{reason} ({note})"
    return kind(
        f"{request.method} {request.url}: {reason}{_delivery(sent, error)}",
        request=request,
        request_sent=sent,
    )
