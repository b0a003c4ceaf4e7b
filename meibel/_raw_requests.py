"""Requests the spec has no operation for: `client.get/post/put/patch/delete(path, ...)`.

A call goes the way of a generated method: the client's `_build_request` (its key, headers and
timeouts), its `_send` (redirects, the retry policy, the deadline, an APIStatusError for a non-2xx
answer) and, with `stream=True`, the same EventStream / AsyncEventStream. What differs is only
the operation: a RawCall (meibel/_raw.py) built from the caller's path, body and `cast_to`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, cast, overload

from ._base_client import BaseClient
from ._raw import Deadline, Headers, JSONBody, Params, RawCall, Timeout
from ._resource import RequestOptions
from ._types import NOT_GIVEN

if TYPE_CHECKING:
    import httpx2

    from ._deadline import Deadline as CallDeadline
    from ._resource import Operation
    from ._streaming import AsyncEventStream, EventStream

__all__ = ["AsyncRawRequests", "AsyncVerb", "RawRequests", "SyncVerb"]

T = TypeVar("T")


def _options(headers: Headers, timeout: Timeout, deadline: Deadline) -> RequestOptions | None:
    if headers is None and timeout is NOT_GIVEN and deadline is NOT_GIVEN:
        return None
    return RequestOptions(timeout, headers, None, None, deadline)


class SyncVerb(Protocol):
    """`client.get` and its siblings: `client.request` with the HTTP method given."""

    @overload
    def __call__(
        self,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        cast_to: None = ...,
        stream: Literal[False] = ...,
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> Any: ...
    @overload
    def __call__(
        self,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        cast_to: type[T],
        stream: Literal[False] = ...,
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> T: ...
    @overload
    def __call__(
        self,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        stream: Literal[True],
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> EventStream[Any]: ...


class AsyncVerb(Protocol):
    """`await client.get(...)` and its siblings on AsyncMeibelClient."""

    @overload
    async def __call__(
        self,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        cast_to: None = ...,
        stream: Literal[False] = ...,
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> Any: ...
    @overload
    async def __call__(
        self,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        cast_to: type[T],
        stream: Literal[False] = ...,
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> T: ...
    @overload
    async def __call__(
        self,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        stream: Literal[True],
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> AsyncEventStream[Any]: ...


def _sync_verb(method: str) -> Any:
    def call(self: RawRequests, path: str, /, **options: Any) -> Any:
        return self.request(method, path, **options)

    call.__name__ = call.__qualname__ = method.lower()
    call.__doc__ = f"`request({method!r}, path, ...)`: see MeibelClient.request."
    return call


def _async_verb(method: str) -> Any:
    async def call(self: AsyncRawRequests, path: str, /, **options: Any) -> Any:
        return await self.request(method, path, **options)

    call.__name__ = call.__qualname__ = method.lower()
    call.__doc__ = f"`await request({method!r}, path, ...)`: see AsyncMeibelClient.request."
    return call


_REQUEST_DOC = """Send a request the spec has no method for, the way the client sends its own.

`path` is relative to the base URL ("/batch-definitions"; an absolute URL only under it: the
key is sent nowhere else). `body`: a dict or list (JSON), a model of meibel.models, or None.
`params`: the query (None values left out). `headers` go over the client's. `cast_to`: None
for the JSON answer (None when it has no body), a model class for `Model.from_dict`, `bytes`
or `str` for the body as is, `httpx2.Response` for the response itself. `stream=True`: the
answer's server-sent events, as an event stream. Retries, deadlines and errors are the
client's (docs/raw-requests.md).
"""


class RawRequests(BaseClient):
    """MeibelClient's `request`, `get`, `post`, `put`, `patch` and `delete`."""

    if TYPE_CHECKING:

        def _send(
            self,
            request: httpx2.Request,
            *,
            stream: bool = ...,
            deadline: CallDeadline | None = ...,
        ) -> httpx2.Response: ...

        get: SyncVerb
        post: SyncVerb
        put: SyncVerb
        patch: SyncVerb
        delete: SyncVerb

    else:
        get, post, put, patch, delete = map(_sync_verb, ("GET", "POST", "PUT", "PATCH", "DELETE"))

    @overload
    def request(
        self,
        method: str,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        cast_to: None = ...,
        stream: Literal[False] = ...,
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> Any: ...
    @overload
    def request(
        self,
        method: str,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        cast_to: type[T],
        stream: Literal[False] = ...,
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> T: ...
    @overload
    def request(
        self,
        method: str,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        stream: Literal[True],
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> EventStream[Any]: ...
    def request(
        self,
        method: str,
        path: str,
        /,
        *,
        body: JSONBody = None,
        params: Params = None,
        headers: Headers = None,
        cast_to: Any = None,
        stream: bool = False,
        timeout: Timeout = NOT_GIVEN,
        deadline: Deadline = NOT_GIVEN,
    ) -> Any:
        call = RawCall(self, method, path, body=body, params=params, cast_to=cast_to, stream=stream)
        options = _options(headers, timeout, deadline)
        request = self._build_request(cast("Operation", call), {}, stream=stream, options=options)
        response = self._send(
            request, stream=stream, deadline=self._deadline(options, stream=stream)
        )
        if stream:
            from ._streaming import EventStream

            return self._events(EventStream, response, {}, None, None)
        return call._parse_response(response=response)

    request.__doc__ = _REQUEST_DOC


class AsyncRawRequests(BaseClient):
    """AsyncMeibelClient's `request`, `get`, `post`, `put`, `patch` and `delete`, awaitable."""

    if TYPE_CHECKING:

        async def _send(
            self,
            request: httpx2.Request,
            *,
            stream: bool = ...,
            deadline: CallDeadline | None = ...,
        ) -> httpx2.Response: ...

        get: AsyncVerb
        post: AsyncVerb
        put: AsyncVerb
        patch: AsyncVerb
        delete: AsyncVerb

    else:
        get, post, put, patch, delete = map(_async_verb, ("GET", "POST", "PUT", "PATCH", "DELETE"))

    @overload
    async def request(
        self,
        method: str,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        cast_to: None = ...,
        stream: Literal[False] = ...,
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> Any: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        cast_to: type[T],
        stream: Literal[False] = ...,
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> T: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        /,
        *,
        body: JSONBody = ...,
        params: Params = ...,
        headers: Headers = ...,
        stream: Literal[True],
        timeout: Timeout = ...,
        deadline: Deadline = ...,
    ) -> AsyncEventStream[Any]: ...
    async def request(
        self,
        method: str,
        path: str,
        /,
        *,
        body: JSONBody = None,
        params: Params = None,
        headers: Headers = None,
        cast_to: Any = None,
        stream: bool = False,
        timeout: Timeout = NOT_GIVEN,
        deadline: Deadline = NOT_GIVEN,
    ) -> Any:
        call = RawCall(self, method, path, body=body, params=params, cast_to=cast_to, stream=stream)
        options = _options(headers, timeout, deadline)
        request = self._build_request(cast("Operation", call), {}, stream=stream, options=options)
        sending = self._send(
            request, stream=stream, deadline=self._deadline(options, stream=stream)
        )
        response = await sending
        if stream:
            from ._streaming import AsyncEventStream

            return self._events(AsyncEventStream, response, {}, None, None)
        return call._parse_response(response=response)

    request.__doc__ = _REQUEST_DOC
