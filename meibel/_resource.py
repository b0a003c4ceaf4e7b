"""What generated methods hand to the client besides their arguments: per-call options, and the
wrappers behind `client.<namespace>.with_raw_response`.

Every generated method takes keyword-only `timeout=`, `extra_headers=`, `extra_query=` (and, when
it sends JSON, `extra_body=`) and passes them on as one `RequestOptions`, or None when none was
given (the common case, kept free). A raw-response wrapper runs the plain method with a context
flag set; the client's hooks read it once and return a RawResponse instead of the parsed value.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ParamSpec, TypeAlias, TypeVar, overload

from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    import httpx2

    from ._response import RawResponse

__all__ = [
    "NOT_GIVEN",
    "Body",
    "Headers",
    "NotGiven",
    "Query",
    "RequestOptions",
    "Timeout",
    "async_raw_response_method",
    "raw_response_method",
    "request_options",
]

Timeout: TypeAlias = "float | httpx2.Timeout | NotGiven | None"
Headers: TypeAlias = Mapping[str, str]
Query: TypeAlias = Mapping[str, object]
Body: TypeAlias = Mapping[str, object]

P = ParamSpec("P")
R = TypeVar("R")

raw_response_requested: ContextVar[bool] = ContextVar("meibel_raw_response", default=False)


class RequestOptions:
    """One call's overrides of the client's settings."""

    __slots__ = ("body", "headers", "query", "timeout")

    def __init__(
        self,
        timeout: float | httpx2.Timeout | NotGiven | None,
        headers: Headers | None,
        query: Query | None,
        body: Body | None,
    ) -> None:
        self.timeout = timeout
        self.headers = headers
        self.query = query
        self.body = body


def request_options(
    timeout: float | httpx2.Timeout | NotGiven | None,
    extra_headers: Headers | None,
    extra_query: Query | None,
    extra_body: Body | None = None,
) -> RequestOptions | None:
    """The options of one call, or None when the caller gave none."""
    if timeout is NOT_GIVEN and extra_headers is None and extra_query is None and not extra_body:
        return None
    return RequestOptions(timeout, extra_headers, extra_query, extra_body)


def raw_response_method(method: Callable[P, R]) -> Callable[P, RawResponse[R]]:
    """`method`, returning the RawResponse of its call instead of the parsed value."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        token = raw_response_requested.set(True)
        try:
            return method(*args, **kwargs)  # type: ignore[return-value]
        finally:
            raw_response_requested.reset(token)

    return call


@overload
def async_raw_response_method(
    method: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[RawResponse[R]]]: ...
@overload
def async_raw_response_method(method: Callable[P, R]) -> Callable[P, Awaitable[RawResponse[R]]]: ...
def async_raw_response_method(method: Callable[P, Any]) -> Callable[P, Awaitable[Any]]:
    """The async twin; a paginated method (which returns its page unawaited) is awaited too."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> Any:
        token = raw_response_requested.set(True)
        try:
            return await method(*args, **kwargs)
        finally:
            raw_response_requested.reset(token)

    return call
