"""One call through the escape hatch (`client.get(path, ...)`, meibel/_raw_requests.py), I/O-free.

`RawCall` is what a generated endpoint module is to the client's hooks: the request's method, URL,
query and JSON body, and the parser of its answer (as `cast_to` asks). The path is refused
(ValueError, before anything is sent) when it would leave the client's base URL: the API key goes
nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias
from urllib.parse import unquote, urlsplit

import httpx2
import orjson

from ._exceptions import APIResponseValidationError

if TYPE_CHECKING:
    from ._base_client import BaseClient
    from ._types import NotGiven

__all__ = ["METHODS", "JSONBody", "RawCall", "relative_path"]

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_RAW = (bytes, str, httpx2.Response)


class SupportsToDict(Protocol):
    """A model of the spec (`meibel.models`): sent as its `to_dict()`."""

    def to_dict(self) -> dict[str, Any]: ...


JSONBody: TypeAlias = "Mapping[str, Any] | list[Any] | tuple[Any, ...] | SupportsToDict | None"
Params: TypeAlias = "Mapping[str, Any] | None"
Headers: TypeAlias = "Mapping[str, str] | None"
Timeout: TypeAlias = "float | httpx2.Timeout | NotGiven | None"
Deadline: TypeAlias = "float | NotGiven | None"


def relative_path(path: object, base_url: httpx2.URL) -> str:
    """`path` as the part of a URL after the client's base URL, or a ValueError if it is none.

    An absolute URL is accepted only under the base URL; a dot segment (also percent-encoded),
    a control character or a fragment is refused.
    """
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    if _CONTROL.search(path):
        raise ValueError(f"path must not contain control characters: {path!r}")
    base = str(base_url)
    if urlsplit(path).scheme or path.startswith("//"):
        if not (path == base or path.startswith((base + "/", base + "?"))):
            raise ValueError(
                f"{path!r} is not under the client's base URL {base}: the client sends its "
                "API key only there. Pass a path relative to the base URL ('/agents'), or use "
                "another client (or httpx2) for another server."
            )
        path = path[len(base) :]
    if not path.startswith("/"):
        path = "/" + path
    route, _, _ = path.partition("?")
    if "#" in path:
        raise ValueError(f"path must not contain a fragment ('#'): {path!r}")
    if any(unquote(segment) in (".", "..") for segment in route.split("/")):
        raise ValueError(f"path must not contain '.' or '..' segments: {path!r}")
    return path


def _jsonable(value: Any) -> Any:
    """`value` with every model in it (at any depth of dicts and lists) as its `to_dict()`."""
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) and not isinstance(value, type) else value


class RawCall:
    """One call through the escape hatch, as the client's hooks take an operation."""

    __slots__ = ("_cast_to", "_client", "_kwargs")

    def __init__(
        self,
        client: BaseClient,
        method: str,
        path: str,
        *,
        body: object,
        params: Params,
        cast_to: object,
        stream: bool,
    ) -> None:
        verb = method.upper() if isinstance(method, str) else method
        if verb not in METHODS:
            raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, not {method!r}")
        if stream and cast_to is not None:
            raise TypeError(
                "cast_to= is for an answer read whole; a stream=True call yields events"
            )
        if not (
            cast_to is None or cast_to in _RAW or callable(getattr(cast_to, "from_dict", None))
        ):
            raise TypeError(
                "cast_to must be None (the JSON answer), bytes, str, httpx2.Response or a model "
                f"class of meibel.models (with from_dict), not {cast_to!r}"
            )
        json_like = isinstance(body, Mapping | list | tuple) or hasattr(body, "to_dict")
        if body is not None and not json_like:
            raise TypeError(
                "body must be a dict or list (sent as JSON), a model of meibel.models, or None, "
                f"not {type(body).__name__}"
            )
        url = relative_path(path, client.base_url)
        route, _, query = url.partition("?")
        given = {name: value for name, value in (params or {}).items() if value is not None}
        kwargs: dict[str, Any] = {"method": verb, "url": route}
        if query or given:
            kwargs["params"] = httpx2.QueryParams(query).merge(given)
        if body is not None:
            kwargs["json"] = _jsonable(body)
        self._kwargs = kwargs
        self._cast_to = cast_to
        self._client = client

    def _get_kwargs(self) -> dict[str, Any]:
        return self._kwargs

    def _parse_response(self, *, response: httpx2.Response) -> Any:
        """The answer as `cast_to` asks: JSON (None for no body), raw, or a model."""
        cast_to: Any = self._cast_to
        if cast_to is httpx2.Response:
            return response
        if cast_to is bytes:
            return response.content
        if cast_to is str:
            return response.text
        try:
            data = orjson.loads(response.content) if response.content.strip() else None
            if cast_to is None:
                return data
            result = cast_to.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            request = response.request
            wanted = "JSON" if cast_to is None else cast_to.__name__
            raise APIResponseValidationError(
                f"{request.method} {request.url}: the answer is not {wanted} "
                f"({type(error).__name__}: {error}); body: {response.text[:500]!r}. "
                "cast_to=str or bytes reads any answer",
                response=response,
            ) from error
        bind = getattr(result, "_meibel_bind", None)
        if bind is not None:
            bind(self._client, {})
        return result
