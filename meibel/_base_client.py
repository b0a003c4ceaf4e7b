"""What MeibelClient and AsyncMeibelClient share: their settings, and every step of a call but I/O.

The namespaces and their methods (`client.sessions.send_chat_message(...)`) are generated from the
spec into `meibel_api_v2.api`. Each method hands its endpoint module and arguments to a hook of
the client (`_request`, `_session`, `_paginate`, `_stream`, `_chat_stream`, `_download`). A hook
builds its request here, sends it its own way (blocking in meibel/_client.py, awaited in
meibel/_async_client.py; the decisions between attempts are meibel/_attempts.py's), and hands the
response back here to be parsed, or wrapped in what it becomes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from types import MappingProxyType, SimpleNamespace
from typing import Any, Self

import httpx2

from ._deadline import Deadline
from ._exceptions import APIResponseValidationError
from ._logging import setup_logging
from ._pool import Pool
from ._rate_gate import RateGate
from ._resource import Operation, RequestOptions, raw_response_requested
from ._response import RawResponse
from ._retry import RetryPolicy
from ._settings import (
    API_KEY_HEADER,
    api_key_from,
    base_url_from,
    check_count,
    check_headers,
    check_seconds,
    check_timeout,
    datasource_id_from,
    put_headers,
)
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__

__all__ = ["BaseClient"]

_NO_PARTS = SimpleNamespace(to_multipart=list)
_NOT_GIVEN: Any = object()


class BaseClient:
    """Configuration and the I/O-free half of a call: building, parsing, wrapping the answer.

    The connection pool (`_pool`) is built on first use and rebuilt in a forked child
    (meibel/_pool.py); `with_options` copies share it. A client pickles as its settings.
    """

    _pool: Pool[Any]

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx2.URL | None,
        timeout: float | httpx2.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        stream_idle_timeout: float | None,
        max_event_size: int | None,
        deadline: float | None,
        datasource_id: str | None,
    ) -> None:
        self._api_key = api_key_from(api_key)
        setup_logging()
        self.base_url = base_url_from(base_url)
        self._base_url_text = str(self.base_url)
        self.timeout = check_timeout(timeout)
        self.max_retries = check_count(max_retries, "max_retries", least=0)
        headers = dict(check_headers(default_headers or {}, "default_headers"))
        self.default_headers: Mapping[str, str] = MappingProxyType(headers)
        self.stream_idle_timeout = check_seconds(stream_idle_timeout, "stream_idle_timeout")
        size = max_event_size
        self.max_event_size = None if size is None else check_count(size, "max_event_size", least=1)
        self.deadline = check_seconds(deadline, "deadline")
        datasource = datasource_id_from(datasource_id)
        self._path_defaults: Mapping[str, str] = MappingProxyType(
            {} if datasource is None else {"datasource_id": datasource}
        )
        self._retry = RetryPolicy(max_retries=max_retries)
        self._gate = RateGate()  # shared by with_options copies; a new one when unpickled
        # The SDK's own headers, then default_headers over them in any spelling; the key is
        # added per call (unless a default header gives one), so that it stays out of vars().
        own = {"User-Agent": f"meibel-sdk-python/{__version__}"}
        put_headers(own, headers)
        self._headers = own
        names = {name.lower() for name in own}
        self._adds_key = API_KEY_HEADER.lower() not in names
        self._adds_accept = "accept" not in names
        self._header_names = frozenset({*names, API_KEY_HEADER.lower(), "accept"})
        self._closes_pool = True  # False on a with_options copy: the pool is the original's

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.base_url)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its settings (the key included): unpickled, it builds its own pool."""
        if self._pool.given is not None:
            raise TypeError(
                f"a {type(self).__name__} made with http_client= cannot be pickled: that pool's "
                "connections belong to this process. Leave http_client= out (the SDK's own pool "
                "is built again wherever the client is unpickled), or make the client in the "
                "other process."
            )
        return (_unpickle, (type(self), self._settings()))

    @property
    def path_defaults(self) -> Mapping[str, str]:
        """What a call may leave out of its path: `{"datasource_id": ...}` when one was set."""
        return self._path_defaults

    def _settings(self) -> dict[str, Any]:
        """The arguments that make this client again, read from it: none from the environment."""
        return {
            "api_key": self._api_key.get(),
            "base_url": self._base_url_text,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": dict(self.default_headers),
            "stream_idle_timeout": self.stream_idle_timeout,
            "max_event_size": self.max_event_size,
            "deadline": self.deadline,
            # "" (none), not None: None would read MEIBEL_DATASOURCE_ID.
            "datasource_id": self._path_defaults.get("datasource_id", ""),
        }

    def with_options(
        self,
        *,
        api_key: str = _NOT_GIVEN,
        base_url: str | httpx2.URL = _NOT_GIVEN,
        timeout: float | httpx2.Timeout | None = _NOT_GIVEN,
        max_retries: int = _NOT_GIVEN,
        default_headers: Mapping[str, str] = _NOT_GIVEN,
        stream_idle_timeout: float | None = _NOT_GIVEN,
        max_event_size: int | None = _NOT_GIVEN,
        deadline: float | None = _NOT_GIVEN,
        datasource_id: str | None = _NOT_GIVEN,
    ) -> Self:
        """A copy with some settings changed, sharing this client's connection pool."""
        options = self._settings()
        overrides = {
            "api_key": api_key,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": default_headers,
            "stream_idle_timeout": stream_idle_timeout,
            "max_event_size": max_event_size,
            "deadline": deadline,
            "datasource_id": datasource_id,
        }
        options.update({k: v for k, v in overrides.items() if v is not _NOT_GIVEN})
        copy = type(self)(**options)
        copy._pool = self._pool
        copy._gate = self._gate
        copy._closes_pool = False
        return copy

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
        # Each name once, in any spelling: the SDK's own < default_headers < the operation's
        # (its Content-Type, header parameters) < extra_headers.
        headers = self._headers.copy()
        if self._adds_key:
            headers[API_KEY_HEADER] = self._api_key.get()
        if stream and self._adds_accept:
            headers["Accept"] = "text/event-stream"
        if spec_headers := spec.get("headers"):
            put_headers(headers, spec_headers, self._header_names)
        timeout = self.timeout
        params = spec.get("params")
        json_body = spec.get("json")
        if options is not None:
            if options.headers:
                put_headers(headers, check_headers(options.headers, "extra_headers"))
            if options.query:
                params = {**(params or {}), **options.query}
            if options.body:
                json_body = {**(json_body if isinstance(json_body, dict) else {}), **options.body}
            if not isinstance(options.deadline, NotGiven):
                check_seconds(options.deadline, "deadline")  # here: before any file is opened
        given = NOT_GIVEN if options is None else options.timeout
        if not isinstance(given, NotGiven):
            # The caller's own timeout for this call; on a stream it also bounds the idle time.
            timeout = check_timeout(given)
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
            put_headers(headers, body.headers)
            if "Content-Length" not in body.headers:
                headers["Transfer-Encoding"] = "chunked"
        request: httpx2.Request = self._pool.get().build_request(
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

    def _deadline(
        self, options: RequestOptions | None, *, upload: bool = False, stream: bool = False
    ) -> Deadline | None:
        """The call's deadline: its own, else the client's (uploads, streams and downloads
        have none unless given: how long they take grows with what they carry)."""
        given = NOT_GIVEN if options is None else options.deadline
        own_only = upload or stream
        seconds = (None if own_only else self.deadline) if isinstance(given, NotGiven) else given
        return None if seconds is None else Deadline(seconds)

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
            result = operation._parse_response(response=response)
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

    # -- what a hook returns, the same on both clients ---------------------------------------------

    def _parsed(
        self, operation: Operation, response: httpx2.Response, arguments: dict[str, Any], ok: int
    ) -> Any:
        """The parsed answer, or under with_raw_response the RawResponse that parses it."""
        if raw_response_requested.get():
            return RawResponse(response, partial(self._parse, operation, response, arguments, ok))
        return self._parse(operation, response, arguments, ok)

    @staticmethod
    def _answer(response: httpx2.Response, make: Callable[[], Any]) -> Any:
        """`make()`, or under with_raw_response the RawResponse that makes it on parse()."""
        return RawResponse(response, make) if raw_response_requested.get() else make()

    def _events(
        self,
        kind: type,
        response: httpx2.Response,
        events: Mapping[str, type],
        default: type | None,
        sentinel: str | None,
        **extra: Any,
    ) -> Any:
        """The stream of `kind` (EventStream, ChatStream, or an async twin) over `response`."""
        stream = partial(
            kind,
            response,
            events=events,
            default=default,
            sentinel=sentinel,
            client=self,
            max_event_size=self.max_event_size,
            **extra,
        )
        return self._answer(response, stream)


def _unpickle(cls: type[BaseClient], settings: dict[str, Any]) -> BaseClient:
    return cls(**settings)
