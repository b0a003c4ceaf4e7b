"""One rate gate per client: when the server says "too many" (429) or "unavailable" (503), every
call of the client waits, not only the one that was told.

A throttled answer closes the gate for the server's `Retry-After` (at most `max_retry_after`),
or, without one, for an exponential backoff with jitter: FIRST_PAUSE, doubled for each episode
in a row (the streak ends with the next success), at most `max_delay`. Each call waits at the
gate before each attempt, its first included; a throttle that arrives while the gate is closed
extends the same pause (one *episode*).

Folder uploads adapt their concurrency to the episodes (`Concurrency`): halved at each new
episode, one more every `limit` successes (additive increase, multiplicative decrease), between
1 and the `concurrency` asked for.

The gate has no lock: every write is one attribute (atomic under the GIL) and a lost race only
means a pause a little shorter or one episode counted twice; nothing a forked child could inherit
locked. A `Concurrency` belongs to one upload run, made after any fork, and locks its slots.
"""

from __future__ import annotations

import random
import threading
import time

__all__ = ["FIRST_PAUSE", "Concurrency", "RateGate"]

# The first pause after a throttle that names no delay, doubled for each episode in a row.
# Short: every call of the client waits it, and a lone 503 is often not overload at all.
FIRST_PAUSE = 0.1


class RateGate:
    """When the client's next attempt may start (see the module docstring)."""

    __slots__ = ("episodes", "streak", "until")

    def __init__(self) -> None:
        self.until = 0.0  # time.monotonic() at which the gate opens again
        self.episodes = 0  # pauses so far (throttles during a pause do not count)
        self.streak = 0  # episodes since the last success

    def wait(self) -> float:
        """Seconds until the gate opens (0.0 when open)."""
        if not self.until:
            return 0.0
        left = self.until - time.monotonic()
        if left > 0:
            return left
        self.until = 0.0
        return 0.0

    def backoff(self, longest: float) -> float:
        """The pause a throttle without Retry-After asks for: exponential in the episodes in a
        row, at most `longest` seconds, less up to 25% random jitter."""
        return min(FIRST_PAUSE * 2.0**self.streak, longest) * (1 - 0.25 * random.random())

    def close_for(self, seconds: float) -> None:
        """A throttled answer: no attempt starts for `seconds` (or longer, if already closed)."""
        now = time.monotonic()
        if self.until <= now:
            self.episodes += 1
            self.streak += 1
        self.until = max(self.until, now + seconds)

    def succeeded(self) -> None:
        """An answer that was not throttled: the next episode's backoff starts over."""
        if self.streak:
            self.streak = 0


class Concurrency:
    """How many uploads may run at once: AIMD on the gate's episodes, within [1, `ceiling`].

    Each send takes a slot (`try_enter`, `leave`): a file sent again after a throttle waits until
    fewer than `limit` sends are under way, so the files already in flight cannot keep the
    server as busy as before the throttle.
    """

    __slots__ = ("_gate", "_limit", "_lock", "_seen", "active", "ceiling")

    def __init__(self, gate: RateGate, ceiling: int) -> None:
        self._gate = gate
        self.ceiling = ceiling
        self._limit = float(ceiling)
        self._seen = gate.episodes
        self._lock = threading.Lock()  # per run, made after any fork
        self.active = 0  # sends under way

    def try_enter(self) -> bool:
        """Take a send slot if one is free."""
        with self._lock:
            if self.active < self.limit:
                self.active += 1
                return True
            return False

    def leave(self) -> None:
        with self._lock:
            self.active -= 1

    @property
    def limit(self) -> int:
        """Uploads allowed in flight now."""
        episodes = self._gate.episodes
        if episodes != self._seen:  # one halving per episode, however many answers it had
            halvings = min(episodes - self._seen, 16)
            self._seen = episodes
            self._limit = max(1.0, self._limit / 2**halvings)
        return int(self._limit)

    def succeeded(self) -> None:
        """One upload succeeded: a whole one more per `limit` of them."""
        self._limit = min(float(self.ceiling), self._limit + 1 / self._limit)
