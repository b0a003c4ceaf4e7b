"""AsyncMeibelClient, the asynchronous client: MeibelClient's hooks, with awaited I/O.

Everything but the I/O is shared with MeibelClient (meibel/_base_client.py, meibel/_attempts.py,
meibel/_redirects.py); see meibel/_client.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx2

from ._attempts import Attempts
from ._deadline import Deadline
from ._generated import AsyncResources
from ._pagination import AsyncPage, PageStyle
from ._pool import Pool
from ._raw_requests import AsyncRawRequests
from ._redirects import MAX_REDIRECTS, follow_redirect, too_many_redirects
from ._resource import raw_response_requested
from ._response import RawResponse
from ._settings import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_EVENT_SIZE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_STREAM_IDLE_TIMEOUT,
    DEFAULT_TIMEOUT,
    POOL_LIMITS,
    check_http_client,
)

if TYPE_CHECKING:
    from ._chat import Partials
    from ._resource import Operation, RequestOptions

__all__ = ["AsyncMeibelClient"]


class AsyncMeibelClient(AsyncRawRequests, AsyncResources):
    """The asynchronous client: the same namespaces and methods as MeibelClient, awaitable."""

    _pool: Pool[httpx2.AsyncClient]

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        stream_idle_timeout: float | None = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        deadline: float | None = DEFAULT_DEADLINE,
        datasource_id: str | None = None,
    ) -> None:
        """The settings of MeibelClient (docs/configuration.md); `http_client` is async here.

        `datasource_id` is the datasource of every call that leaves its `datasource_id` out (see
        `path_defaults`); it defaults to MEIBEL_DATASOURCE_ID, and "" sets none.
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
        check_http_client(http_client, httpx2.AsyncClient)
        pool = partial(httpx2.AsyncClient, limits=POOL_LIMITS)
        self._pool = Pool(pool, http_client, slots=POOL_LIMITS.max_connections)

    @property
    def _http(self) -> httpx2.AsyncClient:
        return self._pool.get()

    async def aclose(self) -> None:
        """Release the connection pool (unless it was passed in as `http_client`, or this is a
        `with_options` copy, whose pool is the original's)."""
        if self._closes_pool and (http := self._pool.close()) is not None:
            await http.aclose()

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
        attempts = Attempts(request, deadline, self._retry, self.max_retries, self._gate)
        while True:
            if wait := attempts.held():
                import anyio

                await anyio.sleep(wait)
            try:
                response = await self._send_following_redirects(request)
                attempts.bound(response)
                if not stream or not response.is_success:
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
            except httpx2.TransportError as error:
                delay = attempts.after_error(error)
            else:
                if attempts.answered(response):
                    return response
                delay = attempts.after_status(response)
            delay = attempts.before_next(delay)
            import anyio  # here, not at import: only async retries need it (4 ms)

            await anyio.sleep(delay)
            attempts.start()

    async def _send_following_redirects(self, request: httpx2.Request) -> httpx2.Response:
        first = request
        admission = self._pool.admission
        for _ in range(MAX_REDIRECTS + 1):
            if admission is None:
                response = await self._http.send(request, stream=True, follow_redirects=False)
            else:
                await admission.admit(request)
                try:
                    response = await self._http.send(request, stream=True, follow_redirects=False)
                except BaseException:
                    admission.release()
                    raise
                admission.hold(response)
            follow = follow_redirect(request, response, self.base_url)
            if follow is None:
                return response
            await response.aclose()
            request = follow
        raise too_many_redirects(first, request)

    # -- the hooks the generated methods call (meibel/_resource.py AsyncClient) --------------------

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
        return self._parsed(operation, response, arguments, ok)

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
        fetch: Callable[[dict[str, Any]], Any],
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
        response = await self._send(
            request, stream=True, deadline=self._deadline(options, stream=True)
        )
        return self._events(AsyncEventStream, response, events, default, sentinel)

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
        response = await self._send(
            request, stream=True, deadline=self._deadline(options, stream=True)
        )
        return self._events(AsyncChatStream, response, events, default, sentinel, partials=partials)

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
        response = await self._send(
            request, stream=True, deadline=self._deadline(options, stream=True)
        )
        return self._answer(response, lambda: AsyncDownload(response))
