"""MeibelClient and AsyncMeibelClient: where a request is built, sent, retried and parsed.

The namespaces and their methods (`client.sessions.send_chat_message(...)`) are generated from the
spec into `meibel_api_v2.api` (see openapi/templates/endpoint_init.py.jinja). Each method hands its
endpoint module and arguments to one of the hooks below (`_request`, `_paginate`, `_stream`,
`_chat_stream`); everything about HTTP lives here, shared by sync and async except the I/O.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from functools import partial
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Self

import httpx2

from ._deadline import Deadline, DeadlineStream
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    MeibelError,
    status_error,
)
from ._generated import AsyncResources, SyncResources
from ._logging import logger, setup_logging
from ._pagination import AsyncPage, PageStyle, SyncPage
from ._resource import Operation, RequestOptions, raw_response_requested
from ._response import RawResponse
from ._retry import RetryPolicy
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__

if TYPE_CHECKING:
    from ._chat import Partials

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncMeibelClient", "MeibelClient"]

DEFAULT_BASE_URL = "https://api.meibel.ai/v2"
DEFAULT_TIMEOUT = httpx2.Timeout(120.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
# A stream is healthy while bytes (events or keep-alive comments) keep arriving; this long
# without a single byte means it stalled.
DEFAULT_STREAM_IDLE_TIMEOUT = 300.0
# The most one event of a stream may buffer: 16 MiB is four times the largest event seen in
# practice (a completion carrying inline artifacts), and bounds what a server that never ends
# a line can make the client hold.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024
# A call (all its attempts, and reading its whole answer) ends by then; streams, downloads and
# uploads have none unless given: their time grows with what they carry.
DEFAULT_DEADLINE = 600.0
API_KEY_HEADER = "Meibel-API-Key"
_MAX_REDIRECTS = 10
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PARSE_CONTEXT = SimpleNamespace(raise_on_unexpected_status=True)
_NO_PARTS = SimpleNamespace(to_multipart=list)
_NOT_GIVEN: Any = object()
# What a request may carry to another origin after a redirect: how the body is framed and what
# the client is. Every other header (the key, default_headers, extra_headers, header parameters)
# was configured for the API and stays with it.
_CROSS_ORIGIN_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "content-type",
        "transfer-encoding",
        "user-agent",
    }
)


class _Secret:
    """A string that never shows itself in a repr, a traceback's locals or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"


def _origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default_port


def _check_http_client(http_client: object, expected: type) -> None:
    if http_client is not None and not isinstance(http_client, expected):
        kind = f"{type(http_client).__module__}.{type(http_client).__qualname__}"
        raise TypeError(
            f"http_client must be an {expected.__module__}.{expected.__qualname__}, not {kind}: "
            "this SDK runs on httpx2 (`import httpx2`), httpx's maintained continuation."
        )


class _BaseClient:
    """Configuration and the I/O-free half of sending: building, redirects, parsing."""

    _http: httpx2.Client | httpx2.AsyncClient

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx2.URL | None,
        timeout: float | httpx2.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        stream_idle_timeout: float,
        max_event_size: int,
        deadline: float | None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("MEIBEL_API_KEY")
        if not key:
            raise MeibelError(
                "No API key: pass MeibelClient(api_key=...) or set the MEIBEL_API_KEY "
                "environment variable."
            )
        setup_logging()
        self._api_key = _Secret(key)
        url = base_url or os.environ.get("MEIBEL_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = httpx2.URL(str(url).rstrip("/"))
        self._base_url_text = str(self.base_url)
        self.timeout = timeout if isinstance(timeout, httpx2.Timeout) else httpx2.Timeout(timeout)
        self.max_retries = max_retries
        self.default_headers = dict(default_headers or {})
        self.stream_idle_timeout = stream_idle_timeout
        self.max_event_size = max_event_size
        self.deadline = deadline
        self._retry = RetryPolicy(max_retries=max_retries)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.base_url)!r})"

    def with_options(
        self,
        *,
        api_key: str = _NOT_GIVEN,
        base_url: str | httpx2.URL = _NOT_GIVEN,
        timeout: float | httpx2.Timeout | None = _NOT_GIVEN,
        max_retries: int = _NOT_GIVEN,
        default_headers: Mapping[str, str] = _NOT_GIVEN,
        stream_idle_timeout: float = _NOT_GIVEN,
        max_event_size: int = _NOT_GIVEN,
        deadline: float | None = _NOT_GIVEN,
    ) -> Self:
        """A copy with some settings changed, sharing this client's connection pool."""
        options: dict[str, Any] = {
            "api_key": self._api_key.get(),
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
            "stream_idle_timeout": self.stream_idle_timeout,
            "max_event_size": self.max_event_size,
            "deadline": self.deadline,
        }
        overrides = {
            "api_key": api_key,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": default_headers,
            "stream_idle_timeout": stream_idle_timeout,
            "max_event_size": max_event_size,
            "deadline": deadline,
        }
        options.update({k: v for k, v in overrides.items() if v is not _NOT_GIVEN})
        # Subclasses take these keywords plus http_client (their own client type).
        return type(self)(**options, http_client=self._http)  # type: ignore[call-arg]

    def _build_request(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        stream: bool = False,
        form: object = None,
        files: Sequence[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
    ) -> httpx2.Request:
        multipart = files is not None
        if multipart:
            # The body is encoded here, streamed; the generated code only gives method and URL.
            arguments = {**arguments, "body": _NO_PARTS}
        spec: dict[str, Any] = operation._get_kwargs(**arguments)
        headers = {
            "User-Agent": f"meibel-sdk-python/{__version__}",
            **self.default_headers,
            **spec.get("headers", {}),
        }
        if stream:
            headers.setdefault("Accept", "text/event-stream")
        timeout = self.timeout
        params = spec.get("params")
        json_body = spec.get("json")
        if options is not None:
            if options.headers:
                headers.update(options.headers)
            if options.query:
                params = {**(params or {}), **options.query}
            if options.body:
                json_body = {**(json_body if isinstance(json_body, dict) else {}), **options.body}
        headers[API_KEY_HEADER] = self._api_key.get()
        given = NOT_GIVEN if options is None else options.timeout
        if not isinstance(given, NotGiven):
            # The caller's own timeout for this call; on a stream it also bounds the idle time.
            timeout = given if isinstance(given, httpx2.Timeout) else httpx2.Timeout(given)
        elif stream:
            timeout = httpx2.Timeout(
                connect=timeout.connect,
                read=self.stream_idle_timeout,
                write=timeout.write,
                pool=timeout.pool,
            )
        body = None
        if multipart:
            from ._forms import form_parts
            from ._multipart import MultipartBody

            body = MultipartBody(*form_parts(form, files or []))
            headers.update(body.headers)
            if "Content-Length" not in body.headers:
                headers["Transfer-Encoding"] = "chunked"
        request = self._http.build_request(
            spec["method"].upper(),
            self._base_url_text + spec["url"],
            params=params,
            json=json_body,
            data=spec.get("data"),
            content=spec.get("content"),
            headers=headers,
            timeout=timeout,
        )
        if body is not None:
            request.stream = body  # as is, not wrapped: httpx2's wrapper could not be replayed
        return request

    def _redirect(
        self, request: httpx2.Request, response: httpx2.Response
    ) -> httpx2.Request | None:
        """The request that follows a redirect; to another origin it carries no configured header
        (neither the key nor default or per-call headers), only how its body is framed."""
        location = response.headers.get("Location")
        if response.status_code not in _REDIRECT_STATUSES or not location:
            return None
        url = request.url.join(location)
        method = request.method
        if (response.status_code == 303 and method != "HEAD") or (
            response.status_code in (301, 302) and method == "POST"
        ):
            method = "GET"
        headers = httpx2.Headers(request.headers)
        if _origin(url) != _origin(self.base_url):
            headers = httpx2.Headers(
                [(k, v) for k, v in headers.multi_items() if k.lower() in _CROSS_ORIGIN_HEADERS]
            )
        headers["Host"] = url.netloc.decode("ascii")
        stream = request.stream
        if method != request.method:
            for name in ("Content-Length", "Content-Type", "Transfer-Encoding"):
                headers.pop(name, None)
            stream = httpx2.ByteStream(b"")
        return httpx2.Request(
            method, url, headers=headers, stream=stream, extensions=request.extensions
        )

    def _parse(
        self, operation: Operation, response: httpx2.Response, arguments: dict[str, Any], ok: int
    ) -> Any:
        if response.status_code != ok:
            # Any 2xx is success; the generated parser only knows the documented code.
            # The body is already decoded: drop the headers that describe its encoding.
            headers = [
                (name, value)
                for name, value in response.headers.multi_items()
                if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
            ]
            response = httpx2.Response(
                ok, headers=headers, content=response.content, request=response.request
            )
        try:
            result = operation._parse_response(client=_PARSE_CONTEXT, response=response)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            excerpt = response.text[:500]
            raise APIResponseValidationError(
                f"{response.request.method} {response.request.url}: the response does not match "
                f"the spec ({type(error).__name__}: {error}); body: {excerpt!r}",
                response=response,
            ) from error
        bind = getattr(result, "_meibel_bind", None)
        if bind is not None:
            bind(self, arguments)
        return result

    def _deadline(self, options: RequestOptions | None, *, upload: bool = False) -> Deadline | None:
        """The call's deadline: its own, else the client's (uploads have none unless given)."""
        given = NOT_GIVEN if options is None else options.deadline
        seconds = (None if upload else self.deadline) if isinstance(given, NotGiven) else given
        return None if seconds is None else Deadline(seconds)

    def _deadline_error(
        self, request: httpx2.Request, deadline: Deadline, attempt: int, since: float
    ) -> APITimeoutError:
        note = self._attempts(attempt, since)
        return APITimeoutError(
            f"{request.method} {request.url}: no complete answer within the deadline of "
            f"{deadline.seconds:g} s" + (f" ({note})" if note else ""),
            request=request,
        )

    @staticmethod
    def _replayable(request: httpx2.Request) -> bool:
        stream = request.stream
        return bool(getattr(stream, "replayable", True))

    def _delay_after_error(
        self, request: httpx2.Request, error: httpx2.TransportError, attempt: int, since: float
    ) -> float:
        """Seconds to wait before sending again after `error`; raises if it is not sent again."""
        delay = self._retry.delay_for_error(request.method, error, attempt)
        if delay is None or not self._replayable(request):
            raise self._connection_error(error, request, self._attempts(attempt, since)) from error
        return delay

    def _delay_after_status(
        self, request: httpx2.Request, response: httpx2.Response, attempt: int, since: float
    ) -> float:
        """Seconds to wait before sending again after a non-2xx; raises if it is not sent again."""
        delay = self._retry.delay_for_response(request.method, response, attempt)
        if delay is None or not self._replayable(request):
            raise status_error(response, note=self._attempts(attempt, since))
        return delay

    def _attempts(self, attempt: int, since: float) -> str:
        """How hard the call tried, for the message of its final error ("" for one attempt)."""
        if attempt == 0:
            return ""
        elapsed = time.monotonic() - since
        return f"after {attempt + 1} attempts over {elapsed:.1f} s; max_retries={self.max_retries}"

    @staticmethod
    def _connection_error(
        error: httpx2.TransportError, request: httpx2.Request, note: str = ""
    ) -> APIConnectionError:
        timed_out = isinstance(error, httpx2.TimeoutException)
        kind = APITimeoutError if timed_out else APIConnectionError
        reason = str(error) or type(error).__name__
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
        return kind(f"{request.method} {request.url}: {reason}", request=request)

    @staticmethod
    def _log(request: httpx2.Request, outcome: str, started: float, attempt: int) -> None:
        elapsed = (time.monotonic() - started) * 1000
        logger.debug(
            "%s %s -> %s in %.0f ms (retries: %d)",
            request.method,
            request.url,
            outcome,
            elapsed,
            attempt,
        )


class MeibelClient(_BaseClient, SyncResources):
    """The synchronous client. Every operation of the API is a method of a namespace.

    >>> client = MeibelClient(api_key="...")
    >>> client.sessions.get_session(session_id="...")
    """

    _http: httpx2.Client

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx2.Client | None = None,
        stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        deadline: float | None = DEFAULT_DEADLINE,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            stream_idle_timeout=stream_idle_timeout,
            max_event_size=max_event_size,
            deadline=deadline,
        )
        _check_http_client(http_client, httpx2.Client)
        self._owns_http = http_client is None
        self._http = http_client or httpx2.Client()

    def close(self) -> None:
        """Release the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> MeibelClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(
        self,
        request: httpx2.Request,
        *,
        stream: bool = False,
        deadline: Deadline | None = None,
    ) -> httpx2.Response:
        """Send with redirects and retries; raise for anything but a 2xx.

        With a `deadline`, every attempt and the reading of the answer end by it.
        """
        attempt = 0
        first = time.monotonic()
        timeouts = request.extensions.get("timeout", {})
        while True:
            started = time.monotonic()
            if deadline is not None:
                deadline.cap(request, timeouts)
            try:
                response = self._send_following_redirects(request)
                if not stream or not response.is_success:
                    if deadline is not None:
                        response.stream = DeadlineStream(response.stream, deadline, request)
                    try:
                        response.read()
                    finally:
                        response.close()
            except httpx2.TransportError as error:
                self._log(request, type(error).__name__, started, attempt)
                if deadline is not None and deadline.expired():
                    raise self._deadline_error(request, deadline, attempt, first) from error
                delay = self._delay_after_error(request, error, attempt, first)
            else:
                self._log(request, str(response.status_code), started, attempt)
                if response.is_success:
                    return response
                delay = self._delay_after_status(request, response, attempt, first)
            if deadline is not None and delay >= deadline.remaining():
                raise self._deadline_error(request, deadline, attempt, first)
            time.sleep(delay)
            attempt += 1

    def _send_following_redirects(self, request: httpx2.Request) -> httpx2.Response:
        for _ in range(_MAX_REDIRECTS):
            response = self._http.send(request, stream=True, follow_redirects=False)
            follow = self._redirect(request, response)
            if follow is None:
                return response
            response.close()
            request = follow
        return response

    def _request(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        form: object = None,
        files: Sequence[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
    ) -> Any:
        request = self._build_request(operation, arguments, form=form, files=files, options=options)
        deadline = self._deadline(options, upload=files is not None)
        response = self._send(request, deadline=deadline)
        if raw_response_requested.get():
            return RawResponse(response, partial(self._parse, operation, response, arguments, ok))
        return self._parse(operation, response, arguments, ok)

    def _session(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        options: RequestOptions | None = None,
    ) -> Any:
        from ._session import Session

        request = self._build_request(operation, arguments, options=options)
        response = self._send(request, deadline=self._deadline(options))

        def session() -> Session[Any]:
            return Session(self, self._parse(operation, response, arguments, ok))

        return RawResponse(response, session) if raw_response_requested.get() else session()

    def _paginate(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        style: PageStyle,
        items: str,
        options: RequestOptions | None = None,
    ) -> Any:
        def fetch(page_arguments: dict[str, Any]) -> Any:
            request = self._build_request(operation, page_arguments, options=options)
            response = self._send(request, deadline=self._deadline(options))
            return self._parse(operation, response, page_arguments, ok)

        request = self._build_request(operation, arguments, options=options)
        response = self._send(request, deadline=self._deadline(options))

        def page() -> SyncPage[Any, Any]:
            first = self._parse(operation, response, arguments, ok)
            return SyncPage(fetch, arguments, first, style=style, items=items)

        return RawResponse(response, page) if raw_response_requested.get() else page()

    def _stream(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        events: Mapping[str, type],
        default: type | None,
        sentinel: str | None,
        form: object = None,
        files: Sequence[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
    ) -> Any:
        from ._streaming import EventStream

        request = self._build_request(
            operation, arguments, stream=True, form=form, files=files, options=options
        )
        response = self._send(request, stream=True)
        stream = partial(
            EventStream,
            response,
            events=events,
            default=default,
            sentinel=sentinel,
            client=self,
            max_event_size=self.max_event_size,
        )
        return RawResponse(response, stream) if raw_response_requested.get() else stream()

    def _chat_stream(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        events: Mapping[str, type],
        default: type | None,
        sentinel: str | None,
        form: object = None,
        files: Sequence[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
        partials: Partials = "incremental",
    ) -> Any:
        from ._chat import ChatStream

        request = self._build_request(
            operation, arguments, stream=True, form=form, files=files, options=options
        )
        response = self._send(request, stream=True)
        stream = partial(
            ChatStream,
            response,
            events=events,
            default=default,
            sentinel=sentinel,
            client=self,
            max_event_size=self.max_event_size,
            partials=partials,
        )
        return RawResponse(response, stream) if raw_response_requested.get() else stream()

    def _download(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        options: RequestOptions | None = None,
    ) -> Any:
        from ._download import Download

        request = self._build_request(operation, arguments, options=options)
        response = self._send(request, stream=True)
        download = partial(Download, response)
        return RawResponse(response, download) if raw_response_requested.get() else download()


class AsyncMeibelClient(_BaseClient, AsyncResources):
    """The asynchronous client: the same namespaces and methods as MeibelClient, awaitable."""

    _http: httpx2.AsyncClient

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        deadline: float | None = DEFAULT_DEADLINE,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            stream_idle_timeout=stream_idle_timeout,
            max_event_size=max_event_size,
            deadline=deadline,
        )
        _check_http_client(http_client, httpx2.AsyncClient)
        self._owns_http = http_client is None
        self._http = http_client or httpx2.AsyncClient()

    async def aclose(self) -> None:
        """Release the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncMeibelClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(
        self,
        request: httpx2.Request,
        *,
        stream: bool = False,
        deadline: Deadline | None = None,
    ) -> httpx2.Response:
        """Send with redirects and retries; raise for anything but a 2xx.

        With a `deadline`, every attempt and the reading of the answer end by it.
        """
        attempt = 0
        first = time.monotonic()
        timeouts = request.extensions.get("timeout", {})
        while True:
            started = time.monotonic()
            if deadline is not None:
                deadline.cap(request, timeouts)
            try:
                response = await self._send_following_redirects(request)
                if not stream or not response.is_success:
                    if deadline is not None:
                        response.stream = DeadlineStream(response.stream, deadline, request)
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
            except httpx2.TransportError as error:
                self._log(request, type(error).__name__, started, attempt)
                if deadline is not None and deadline.expired():
                    raise self._deadline_error(request, deadline, attempt, first) from error
                delay = self._delay_after_error(request, error, attempt, first)
            else:
                self._log(request, str(response.status_code), started, attempt)
                if response.is_success:
                    return response
                delay = self._delay_after_status(request, response, attempt, first)
            if deadline is not None and delay >= deadline.remaining():
                raise self._deadline_error(request, deadline, attempt, first)
            import anyio  # here, not at import: only async retries need it (4 ms)

            await anyio.sleep(delay)
            attempt += 1

    async def _send_following_redirects(self, request: httpx2.Request) -> httpx2.Response:
        for _ in range(_MAX_REDIRECTS):
            response = await self._http.send(request, stream=True, follow_redirects=False)
            follow = self._redirect(request, response)
            if follow is None:
                return response
            await response.aclose()
            request = follow
        return response

    async def _request(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        form: object = None,
        files: Sequence[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
    ) -> Any:
        request = self._build_request(operation, arguments, form=form, files=files, options=options)
        deadline = self._deadline(options, upload=files is not None)
        response = await self._send(request, deadline=deadline)
        if raw_response_requested.get():
            return RawResponse(response, partial(self._parse, operation, response, arguments, ok))
        return self._parse(operation, response, arguments, ok)

    async def _session(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        options: RequestOptions | None = None,
    ) -> Any:
        from ._session import AsyncSession

        request = self._build_request(operation, arguments, options=options)
        response = await self._send(request, deadline=self._deadline(options))

        def session() -> AsyncSession[Any]:
            return AsyncSession(self, self._parse(operation, response, arguments, ok))

        return RawResponse(response, session) if raw_response_requested.get() else session()

    def _paginate(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        style: PageStyle,
        items: str,
        options: RequestOptions | None = None,
    ) -> Any:
        async def fetch(page_arguments: dict[str, Any]) -> Any:
            request = self._build_request(operation, page_arguments, options=options)
            response = await self._send(request, deadline=self._deadline(options))
            return self._parse(operation, response, page_arguments, ok)

        if raw_response_requested.get():
            # with_raw_response awaits this: the first page's response, its page on parse().
            return self._raw_first_page(operation, arguments, ok, style, items, options, fetch)
        return AsyncPage(fetch, arguments, style=style, items=items)

    async def _raw_first_page(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        ok: int,
        style: PageStyle,
        items: str,
        options: RequestOptions | None,
        fetch: Any,
    ) -> RawResponse[AsyncPage[Any, Any]]:
        request = self._build_request(operation, arguments, options=options)
        response = await self._send(request, deadline=self._deadline(options))

        def page() -> AsyncPage[Any, Any]:
            first = self._parse(operation, response, arguments, ok)
            return AsyncPage(fetch, arguments, style=style, items=items, response=first)

        return RawResponse(response, page)

    async def _stream(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        events: Mapping[str, type],
        default: type | None,
        sentinel: str | None,
        form: object = None,
        files: Sequence[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
    ) -> Any:
        from ._streaming import AsyncEventStream

        request = self._build_request(
            operation, arguments, stream=True, form=form, files=files, options=options
        )
        response = await self._send(request, stream=True)
        stream = partial(
            AsyncEventStream,
            response,
            events=events,
            default=default,
            sentinel=sentinel,
            client=self,
            max_event_size=self.max_event_size,
        )
        return RawResponse(response, stream) if raw_response_requested.get() else stream()

    async def _chat_stream(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        events: Mapping[str, type],
        default: type | None,
        sentinel: str | None,
        form: object = None,
        files: Sequence[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
        partials: Partials = "incremental",
    ) -> Any:
        from ._chat import AsyncChatStream

        request = self._build_request(
            operation, arguments, stream=True, form=form, files=files, options=options
        )
        response = await self._send(request, stream=True)
        stream = partial(
            AsyncChatStream,
            response,
            events=events,
            default=default,
            sentinel=sentinel,
            client=self,
            max_event_size=self.max_event_size,
            partials=partials,
        )
        return RawResponse(response, stream) if raw_response_requested.get() else stream()

    async def _download(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        options: RequestOptions | None = None,
    ) -> Any:
        from ._download import AsyncDownload

        request = self._build_request(operation, arguments, options=options)
        response = await self._send(request, stream=True)
        download = partial(AsyncDownload, response)
        return RawResponse(response, download) if raw_response_requested.get() else download()
