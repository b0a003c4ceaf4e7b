"""The attempts of a traced call: meibel/_attempts.py's, each decision also told to the call's span.

While instrumented, the clients' send loops make these instead of `Attempts` (meibel/
_otel_patches.py swaps the name in meibel/_client.py and meibel/_async_client.py): a wait at the
rate gate becomes a `meibel.rate_gate.hold` event, a failed attempt the reason of the next
resend, and each resend a `meibel.retry` event (meibel/_otel_calls.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._attempts import Attempts
from ._otel_calls import CALL_KEY, error_type

if TYPE_CHECKING:
    import httpx2

    from ._otel_calls import Call

__all__ = ["TracedAttempts"]


class TracedAttempts(Attempts):
    """Attempts that report to the Call of their request (none: they report nothing)."""

    __slots__ = ("_call",)

    def __init__(self, request: httpx2.Request, *args: Any) -> None:
        super().__init__(request, *args)
        self._call: Call | None = request.extensions.get(CALL_KEY)

    def held(self) -> float:
        wait = super().held()
        if wait and self._call is not None:
            self._call.held(wait)
        return wait

    def after_error(self, error: httpx2.TransportError) -> float:
        if self._call is not None:
            self._call.attempt_failed(error_type(error))
        return super().after_error(error)

    def after_status(self, response: httpx2.Response) -> float:
        if self._call is not None:
            self._call.attempt_failed(str(response.status_code), response.status_code)
        return super().after_status(response)

    def before_next(self, delay: float) -> float:
        delay = super().before_next(delay)
        if self._call is not None:
            self._call.resending(self.count, delay)
        return delay
