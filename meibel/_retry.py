"""When a failed request is sent again, and after how long.

The policy, in order:

1. Never more than `max_retries` retries (per client, or per call via `client.with_options`).
2. A request that certainly never reached the server (connection refused, DNS failure, connect or
   pool timeout) is retried whatever its method.
3. A 429 Too Many Requests is retried whatever the method, POST included: the server says it did
   not process the request, so sending it again cannot do anything twice.
4. A request that may have reached the server (connection dropped while sending or reading, read
   timeout, or a 408/409/5xx answer except 501 Not Implemented and 505 HTTP Version Not
   Supported, which no retry changes) is retried only when repeating it is harmless: its method
   is idempotent (GET, HEAD, OPTIONS, PUT, DELETE), or the server said so explicitly by answering
   503 with a `Retry-After` header. A request sent only in part is no exception: a POST whose
   connection broke mid-body is not sent again (its error's `request_sent` says so).
5. The wait is the server's `Retry-After` (seconds or an HTTP date, or `retry-after-ms`) when it
   gives one; a server asking for longer than `max_retry_after` is not retried at all, so a call
   never sleeps for minutes unasked. Otherwise exponential backoff from `initial_delay`, doubled
   per attempt up to `max_delay`, with up to 25% random jitter so clients do not retry in lockstep.
6. A request whose body cannot be replayed (a non-seekable stream) is never sent twice.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx2

__all__ = ["IDEMPOTENT_METHODS", "NEVER_SENT", "RetryPolicy", "retry_after_seconds"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_RETRYABLE_STATUSES = frozenset({408, 409, 429})
# Every other 4xx is the request's fault, and these 5xx say the server cannot do it at all.
_FINAL_SERVER_ERRORS = frozenset({501, 505})
NEVER_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout, httpx2.ProxyError)


def retry_after_seconds(headers: httpx2.Headers, now: float | None = None) -> float | None:
    """The delay a response asks for, in seconds, or None when it asks for none (or nonsense)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """See the module docstring. `delay_*` return seconds to wait, or None: do not retry."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def backoff(self, attempt: int) -> float:
        delay = min(self.initial_delay * 2.0**attempt, self.max_delay)
        return delay * (1 - 0.25 * random.random())

    def delay_for_error(
        self, method: str, error: httpx2.TransportError, attempt: int
    ) -> float | None:
        if attempt >= self.max_retries:
            return None
        if isinstance(error, NEVER_SENT) or method.upper() in IDEMPOTENT_METHODS:
            return self.backoff(attempt)
        return None

    def delay_for_response(
        self, method: str, response: httpx2.Response, attempt: int
    ) -> float | None:
        status = response.status_code
        retryable = status in _RETRYABLE_STATUSES or (
            status >= 500 and status not in _FINAL_SERVER_ERRORS
        )
        if attempt >= self.max_retries or not retryable:
            return None
        retry_after = retry_after_seconds(response.headers)
        # 429: not processed. 503 with Retry-After: the server asks for the request again.
        server_says_retry = status == 429 or (status == 503 and retry_after is not None)
        if not (server_says_retry or method.upper() in IDEMPOTENT_METHODS):
            return None
        if retry_after is None:
            return self.backoff(attempt)
        return retry_after if retry_after <= self.max_retry_after else None
