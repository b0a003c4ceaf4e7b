"""The one door between the generated package and this one: `generated/` imports nothing else.

It gives the generated resources what they need and nothing more:

- SyncAPIResource / AsyncAPIResource, the bases of every namespace, with the client's hooks bound
  (`_request`, `_session`, `_paginate`, `_stream`, `_chat_stream`, `_download`: one per kind of
  operation, meibel/_kinds.py); a hook takes an `Operation` (a generated endpoint module) and the
  call's arguments; and `_wait`, which runs a waiter of meibel/_waiters.py's table;
- the per-call options: every method takes keyword-only `timeout=`, `deadline=`,
  `extra_headers=`, `extra_query=` (and, when it sends JSON, `extra_body=`) and passes them on
  as one `RequestOptions`, or None when none was given (the common case, kept free);
- the helpers the methods call to shape their arguments: `_body` (a JSON body from `body=`, its
  model or a dict of its fields (meibel/_dict_bodies.py), or from its fields given as keywords),
  `_path_default` (a parent id left to the client's `path_defaults`), `_upload` (the `file=`
  alias of `files=`, and `file_name=`);
- the wrappers behind `client.<namespace>.with_raw_response`: they run the plain method with a
  context flag set; the hooks read it once and return a RawResponse instead of the parsed value;
- the names the generated signatures and models use (streams, pages, sessions, downloads, file
  inputs: meibel/_kinds.py; the mixins: meibel/_mixins.py), re-exported from where they live.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypeVar,
    overload,
)

from ._kinds import HOOKS
from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    import httpx2

    from ._forms import FormFields as FormFields
    from ._kinds import *  # noqa: F403  (what the kinds' annotations name)
    from ._mixins import *  # noqa: F403  (the mixins of models and namespaces)
    from ._multipart import FileInput as FileInput
    from ._response import RawResponse

__all__ = [
    "NOT_GIVEN",
    "AsyncAPIResource",
    "AsyncClient",
    "Body",
    "Deadline",
    "Headers",
    "NotGiven",
    "Operation",
    "Query",
    "RequestOptions",
    "SyncAPIResource",
    "SyncClient",
    "Timeout",
    "async_raw_response_method",
    "raw_response_method",
    "request_options",
]


def __getattr__(name: str) -> Any:
    # The mixins (meibel/_mixins.py) load with the first class that uses one, not with the door.
    if not name.startswith("_"):
        from . import _mixins

        if name in _mixins.__all__:
            return getattr(_mixins, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Timeout: TypeAlias = "float | httpx2.Timeout | NotGiven | None"
Deadline: TypeAlias = float | NotGiven | None
Headers: TypeAlias = Mapping[str, str]
Query: TypeAlias = Mapping[str, object]
Body: TypeAlias = Mapping[str, object]

P = ParamSpec("P")
R = TypeVar("R")

raw_response_requested: ContextVar[bool] = ContextVar("meibel_raw_response", default=False)


class RequestOptions:
    """One call's overrides of the client's settings."""

    __slots__ = ("body", "deadline", "headers", "query", "timeout")

    def __init__(
        self,
        timeout: float | httpx2.Timeout | NotGiven | None,
        headers: Headers | None,
        query: Query | None,
        body: Body | None,
        deadline: float | NotGiven | None = NOT_GIVEN,
    ) -> None:
        self.timeout = timeout
        self.headers = headers
        self.query = query
        self.body = body
        self.deadline = deadline


def request_options(
    timeout: float | httpx2.Timeout | NotGiven | None,
    extra_headers: Headers | None,
    extra_query: Query | None,
    extra_body: Body | None = None,
    deadline: float | NotGiven | None = NOT_GIVEN,
) -> RequestOptions | None:
    """The options of one call, or None when the caller gave none."""
    if (
        timeout is NOT_GIVEN
        and extra_headers is None
        and extra_query is None
        and not extra_body
        and deadline is NOT_GIVEN
    ):
        return None
    return RequestOptions(timeout, extra_headers, extra_query, extra_body, deadline)


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


class Operation(Protocol):
    """What a generated endpoint module gives the client: its request, and its answer's parser."""

    _get_kwargs: Callable[..., dict[str, Any]]
    _parse_response: Callable[..., Any]


class SyncClient(Protocol):
    """What the namespaces of MeibelClient read of it besides its hooks (meibel/_kinds.py HOOKS,
    bound by name: `_request`, `_stream`, ..., each taking an `Operation` and the arguments)."""

    @property
    def path_defaults(self) -> Mapping[str, str]:
        """Path parameters a call may omit (e.g. `datasource_id`), as the client was configured."""
        ...


class AsyncClient(Protocol):
    """The same of AsyncMeibelClient, whose hooks are awaitable (but `_paginate`, which is lazy)."""

    @property
    def path_defaults(self) -> Mapping[str, str]: ...


class _Omitted:
    """The default of a body field's keyword argument: not given (None is a value to send)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "..."


# Typed Any so that `name: str = _OMITTED` type-checks: a required field is still optional as a
# keyword, since `body=` is the other way to send it.
_OMITTED: Any = _Omitted()


@functools.cache
def _required_fields(model: type) -> tuple[str, ...]:
    """The keyword arguments a model's constructor cannot do without."""
    import inspect

    return tuple(
        name
        for name, parameter in inspect.signature(model).parameters.items()
        if parameter.default is parameter.empty
        and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    )


class _APIResource:
    __slots__ = ("_client", *HOOKS)
    # The default of the body fields' keyword arguments in the generated signatures.
    _OMITTED: ClassVar[Any] = _OMITTED

    def __init__(self, client: SyncClient | AsyncClient) -> None:
        self._client = client
        for hook in HOOKS:  # bound once: a call reads one attribute
            setattr(self, hook, getattr(client, hook))

    @staticmethod
    def _body(
        method: str,
        model: type,
        body: Any,
        fields: Mapping[str, Any],
        *,
        required: bool = True,
        aliases: Mapping[str, str] | None = None,
    ) -> Any:
        """The JSON body of a call: `body`, or `model` built from the fields given as keywords.

        `fields` maps each keyword to its argument (`_OMITTED` when not given); `aliases` maps a
        vendor keyword to the field it names. None when there is no body and none is required.
        """
        given = {name: value for name, value in fields.items() if value is not _OMITTED}
        if body is not None and given:
            names = ", ".join(f"{name}=" for name in given)
            raise TypeError(
                f"{method}() got body= and the body's fields as keywords ({names}): pass one"
            )
        for alias, target in (aliases or {}).items():
            if alias in given:
                if target in given:
                    raise TypeError(f"{method}() got {alias}= and {target}=: they are one field")
                given[target] = given.pop(alias)
        if body is not None:
            if isinstance(body, model):
                return body
            from ._dict_bodies import body_from

            return body_from(method, model, body)
        if not given and not required:
            return body
        missing = [name for name in _required_fields(model) if name not in given]
        if missing:
            spelled = {target: alias for alias, target in (aliases or {}).items()}
            names = ", ".join(
                f"{name}= (or {spelled[name]}=)" if name in spelled else f"{name}="
                for name in missing
            )
            raise TypeError(f"{method}() missing the body field(s) {names}, or pass body=")
        return model(**given)

    def _path_default(self, method: str, name: str, value: str | None, environment: str) -> str:
        """A path parameter's argument, or the client's default for it when it was omitted."""
        if value is not None:
            return value
        default = self._client.path_defaults.get(name)
        if default is None:
            client = type(self._client).__name__
            raise TypeError(
                f"{method}() needs {name}: pass it, or set {client}({name}=...) or {environment}"
            )
        return default

    @staticmethod
    def _upload(method: str, files: Any, file_name: str | None, file: Any = None) -> Any:
        """The one binary field's argument: `files=` or its alias `file=`, named `file_name`."""
        if file is not None:
            if files is not None:
                raise TypeError(f"{method}() got files= and file=: pass one")
            files = file
        if file_name is None:
            return files
        if files is None:
            raise TypeError(f"{method}() got file_name= but no file to send under that name")
        from ._multipart import with_filename

        return with_filename(files, file_name)


class SyncAPIResource(_APIResource):
    """Base of the synchronous namespaces: the client, and its hooks bound once."""

    __slots__ = ()
    _client: SyncClient

    def _wait(
        self,
        key: str,
        job_id: str,
        timeout: float | None,
        poll_interval: float,
        on_progress: Callable[[Any], object] | None,
        *,
        poll: Callable[[Any], Any] | None = None,
        follow: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Run the waiter `key` (meibel/_waiters.py WAITERS) with these calls."""
        from ._waiters import wait_job

        return wait_job(key, job_id, timeout, poll_interval, on_progress, poll, follow)


class AsyncAPIResource(_APIResource):
    """Base of the asynchronous namespaces: the client, and its hooks bound once."""

    __slots__ = ()
    _client: AsyncClient

    async def _wait(
        self,
        key: str,
        job_id: str,
        timeout: float | None,
        poll_interval: float,
        on_progress: Callable[[Any], object] | None,
        *,
        poll: Callable[[Any], Awaitable[Any]] | None = None,
        follow: Callable[[Any], Awaitable[Any]] | None = None,
    ) -> Any:
        """Run the waiter `key` (meibel/_waiters.py WAITERS) with these awaited calls."""
        from ._waiters import await_job

        return await await_job(key, job_id, timeout, poll_interval, on_progress, poll, follow)
