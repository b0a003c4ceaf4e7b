"""RawResponse: what `client.<namespace>.with_raw_response.<method>(...)` returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import httpx2

from ._exceptions import request_id_of

__all__ = ["RawResponse"]

T = TypeVar("T")
_UNPARSED = object()


class RawResponse(Generic[T]):
    """The HTTP response of one call, before or beside its parsed value.

    `status_code`, `headers`, `request_id` and `http_response` describe the answer; `parse()`
    returns what the plain method returns (parsed once, then cached). For an event stream or a
    download the body is not read until the parsed object is iterated; close the RawResponse
    (or the parsed object) when you do not read it.
    """

    __slots__ = ("_parse", "_parsed", "http_response")

    def __init__(self, http_response: httpx2.Response, parse: Callable[[], T]) -> None:
        self.http_response = http_response
        self._parse = parse
        self._parsed: object = _UNPARSED

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx2.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The server's id for this request (`X-Request-ID`), to quote in a support ticket."""
        return request_id_of(self.http_response)

    def parse(self) -> T:
        """What the plain method would have returned."""
        if self._parsed is _UNPARSED:
            self._parsed = self._parse()
        return self._parsed  # type: ignore[return-value]

    def close(self) -> None:
        """Release the connection of a response whose body was not read."""
        self.http_response.close()

    async def aclose(self) -> None:
        """Release the connection of a response whose body was not read (async clients)."""
        await self.http_response.aclose()

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<RawResponse [{self.status_code}] {request.method} {request.url}>"
