"""MeibelClient, the synchronous client: its hooks send with blocking I/O.

What a hook does besides sending (building the request, parsing the answer, the settings) is
meibel/_base_client.py's, shared with AsyncMeibelClient; the decisions between two attempts
(retries, the deadline, the log line) are meibel/_attempts.py's, and redirects are
meibel/_redirects.py's. Only the I/O is here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx2

from ._attempts import Attempts
from ._deadline import Deadline
from ._generated import SyncResources
from ._pagination import PageStyle, SyncPage
from ._pool import Pool
from ._raw_requests import RawRequests
from ._redirects import MAX_REDIRECTS, follow_redirect, too_many_redirects
from ._settings import (
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_EVENT_SIZE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_STREAM_IDLE_TIMEOUT,
    DEFAULT_TIMEOUT,
    check_http_client,
)

if TYPE_CHECKING:
    from ._chat import Partials
    from ._resource import Operation, RequestOptions

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_EVENT_SIZE", "DEFAULT_TIMEOUT", "MeibelClient"]


class MeibelClient(RawRequests, SyncResources):
    """The synchronous client. Every operation of the API is a method of a namespace.

    >>> client = MeibelClient(api_key="...")
    >>> client.sessions.get_session(session_id="...")
    """

    _pool: Pool[httpx2.Client]

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx2.Client | None = None,
        stream_idle_timeout: float | None = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        deadline: float | None = DEFAULT_DEADLINE,
        datasource_id: str | None = None,
    ) -> None:
        """Every setting is described in docs/configuration.md.

        `api_key` defaults to MEIBEL_API_KEY and `base_url` to MEIBEL_BASE_URL (else
        DEFAULT_BASE_URL). `datasource_id` is the datasource of every call that leaves its
        `datasource_id` out (see `path_defaults`); it defaults to MEIBEL_DATASOURCE_ID, and ""
        sets none. `http_client` is a pool of your own (you close it).
        """
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            stream_idle_timeout=stream_idle_timeout,
            max_event_size=max_event_size,
            deadline=deadline,
            datasource_id=datasource_id,
        )
        check_http_client(http_client, httpx2.Client)
        self._pool = Pool(httpx2.Client, http_client)

    @property
    def _http(self) -> httpx2.Client:
        return self._pool.get()

    def close(self) -> None:
        """Release the connection pool (unless it was passed in as `http_client`, or this is a
        `with_options` copy, whose pool is the original's)."""
        if self._closes_pool and (http := self._pool.close()) is not None:
            http.close()

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
        attempts = Attempts(request, deadline, self._retry, self.max_retries)
        while True:
            try:
                response = self._send_following_redirects(request)
                attempts.bound(response)
                if not stream or not response.is_success:
                    try:
                        response.read()
                    finally:
                        response.close()
            except httpx2.TransportError as error:
                delay = attempts.after_error(error)
            else:
                if attempts.answered(response):
                    return response
                delay = attempts.after_status(response)
            time.sleep(attempts.before_next(delay))
            attempts.start()

    def _send_following_redirects(self, request: httpx2.Request) -> httpx2.Response:
        first = request
        for _ in range(MAX_REDIRECTS + 1):
            response = self._http.send(request, stream=True, follow_redirects=False)
            follow = follow_redirect(request, response, self.base_url)
            if follow is None:
                return response
            response.close()
            request = follow
        raise too_many_redirects(first, request)

    # -- the hooks the generated methods call (meibel/_resource.py SyncClient) ---------------------

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
        return self._parsed(operation, response, arguments, ok)

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

        return self._answer(response, session)

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

        return self._answer(response, page)

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
        response = self._send(request, stream=True, deadline=self._deadline(options, stream=True))
        return self._events(EventStream, response, events, default, sentinel)

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
        response = self._send(request, stream=True, deadline=self._deadline(options, stream=True))
        return self._events(ChatStream, response, events, default, sentinel, partials=partials)

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
        response = self._send(request, stream=True, deadline=self._deadline(options, stream=True))
        return self._answer(response, lambda: Download(response))
