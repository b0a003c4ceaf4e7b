"""Pages of list operations, iterable across pages with one loop.

The API pages three ways; the templates pick the style from the operation's parameters and
response fields:

- "cursor": `cursor` parameter; the response's `next_cursor` (and `has_next`) lead on.
- "token": `continuation_token` parameter and response field.
- "offset": `offset`/`limit` parameters; the response has `total` (and `offset`) or `next_offset`.

Iterating a page yields its items, then fetches the next page only when the loop gets there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, Literal, TypeVar

from ._generated import known

__all__ = ["AsyncPage", "PageStyle", "SyncPage"]

ResponseT = TypeVar("ResponseT")
ItemT = TypeVar("ItemT")
PageStyle = Literal["cursor", "token", "offset"]


def _items(response: object, field: str) -> list[Any]:
    items = known(getattr(response, field, None))
    return list(items) if isinstance(items, list) else []


def next_page_request(
    style: PageStyle, request: dict[str, Any], response: object, field: str
) -> dict[str, Any] | None:
    """The arguments that fetch the page after `response`, or None when it was the last."""
    if style == "cursor":
        cursor = known(getattr(response, "next_cursor", None))
        if not cursor or known(getattr(response, "has_next", None)) is False:
            return None
        return {**request, "cursor": cursor}
    if style == "token":
        token = known(getattr(response, "continuation_token", None))
        return {**request, "continuation_token": token} if token else None
    count = len(_items(response, field))
    if count == 0:
        return None
    next_offset = known(getattr(response, "next_offset", None))
    if isinstance(next_offset, int):
        return {**request, "offset": next_offset}
    total = known(getattr(response, "total", None))
    offset = known(getattr(response, "offset", None))
    if not isinstance(offset, int):
        requested = known(request.get("offset"))
        offset = requested if isinstance(requested, int) else 0
    if not isinstance(total, int) or offset + count >= total:
        return None
    return {**request, "offset": offset + count}


class SyncPage(Generic[ResponseT, ItemT]):
    """One page of a list operation; iterating it walks every item of every later page."""

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], ResponseT],
        request: dict[str, Any],
        response: ResponseT,
        *,
        style: PageStyle,
        items: str,
    ) -> None:
        self._fetch = fetch
        self._request = request
        self._style: PageStyle = style
        self._field = items
        self.response = response

    @property
    def items(self) -> list[ItemT]:
        """This page's items."""
        return _items(self.response, self._field)

    def has_next_page(self) -> bool:
        return next_page_request(self._style, self._request, self.response, self._field) is not None

    def get_next_page(self) -> SyncPage[ResponseT, ItemT] | None:
        """Fetch the next page, or None when this is the last."""
        request = next_page_request(self._style, self._request, self.response, self._field)
        if request is None:
            return None
        return SyncPage(
            self._fetch, request, self._fetch(request), style=self._style, items=self._field
        )

    def iter_pages(self) -> Iterator[SyncPage[ResponseT, ItemT]]:
        page: SyncPage[ResponseT, ItemT] | None = self
        while page is not None:
            yield page
            page = page.get_next_page()

    def __iter__(self) -> Iterator[ItemT]:
        for page in self.iter_pages():
            yield from page.items

    def __getattr__(self, name: str) -> Any:
        # The page's own fields (`total`, `data`, ...), as the response model has them.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.response, name)

    def __repr__(self) -> str:
        return f"SyncPage({self.response!r})"


class AsyncPage(Generic[ResponseT, ItemT]):
    """The async twin: `await` it for the first page, or `async for` over every item."""

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], Awaitable[ResponseT]],
        request: dict[str, Any],
        *,
        style: PageStyle,
        items: str,
        response: ResponseT | None = None,
    ) -> None:
        self._fetch = fetch
        self._request = request
        self._style: PageStyle = style
        self._field = items
        self._response = response

    @property
    def response(self) -> ResponseT:
        if self._response is None:
            raise RuntimeError("the page is not fetched yet: await it first")
        return self._response

    @property
    def items(self) -> list[ItemT]:
        """This page's items."""
        return _items(self.response, self._field)

    async def _load(self) -> AsyncPage[ResponseT, ItemT]:
        if self._response is None:
            self._response = await self._fetch(self._request)
        return self

    def __await__(self) -> Generator[Any, None, AsyncPage[ResponseT, ItemT]]:
        return self._load().__await__()

    def has_next_page(self) -> bool:
        return next_page_request(self._style, self._request, self.response, self._field) is not None

    async def get_next_page(self) -> AsyncPage[ResponseT, ItemT] | None:
        """Fetch the next page, or None when this is the last."""
        request = next_page_request(self._style, self._request, self.response, self._field)
        if request is None:
            return None
        page: AsyncPage[ResponseT, ItemT] = AsyncPage(
            self._fetch, request, style=self._style, items=self._field
        )
        return await page._load()

    async def iter_pages(self) -> AsyncIterator[AsyncPage[ResponseT, ItemT]]:
        page: AsyncPage[ResponseT, ItemT] | None = await self._load()
        while page is not None:
            yield page
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.response, name)

    def __repr__(self) -> str:
        return f"AsyncPage({self._response!r})"
