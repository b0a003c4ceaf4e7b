"""The one door between the generated package and this one: `generated/` imports nothing else.

It gives the generated resources what they need and nothing more:

- SyncAPIResource / AsyncAPIResource, the bases of every namespace, with the client's hooks bound
  (`_request`, `_session`, `_paginate`, `_stream`, `_chat_stream`, `_download`), typed by the
  SyncClient / AsyncClient protocols; a hook takes an `Operation` (a generated endpoint module)
  and the call's arguments;
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
  inputs, the model mixins), re-exported from where they live.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
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

from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    import httpx2

    from ._chat import AsyncChatStream as AsyncChatStream
    from ._chat import ChatStream as ChatStream
    from ._chat import Partials as Partials
    from ._download import AsyncDownload as AsyncDownload
    from ._download import Download as Download
    from ._folder_upload import AsyncFolderUploads as AsyncFolderUploads
    from ._folder_upload import FolderUploads as FolderUploads
    from ._forms import FormFields as FormFields
    from ._model_extras import ArtifactExtras as ArtifactExtras
    from ._model_extras import ChatMessageResponseExtras as ChatMessageResponseExtras
    from ._model_extras import CreatedSessionExtras as CreatedSessionExtras
    from ._model_extras import SessionDetailsExtras as SessionDetailsExtras
    from ._model_extras import SessionMessageItemExtras as SessionMessageItemExtras
    from ._multipart import FileInput as FileInput
    from ._pagination import AsyncPage as AsyncPage
    from ._pagination import PageStyle
    from ._pagination import SyncPage as SyncPage
    from ._response import RawResponse
    from ._session import AsyncSession as AsyncSession
    from ._session import Session as Session
    from ._streaming import AsyncEventStream as AsyncEventStream
    from ._streaming import EventStream as EventStream
    from ._waiters import AsyncConfidenceScoringWaiters as AsyncConfidenceScoringWaiters
    from ._waiters import AsyncDatasourceDownloadsWaiters as AsyncDatasourceDownloadsWaiters
    from ._waiters import AsyncDocumentsWaiters as AsyncDocumentsWaiters
    from ._waiters import AsyncFileUploadWaiters as AsyncFileUploadWaiters
    from ._waiters import AsyncIngestWaiters as AsyncIngestWaiters
    from ._waiters import ConfidenceScoringWaiters as ConfidenceScoringWaiters
    from ._waiters import DatasourceDownloadsWaiters as DatasourceDownloadsWaiters
    from ._waiters import DocumentsWaiters as DocumentsWaiters
    from ._waiters import FileUploadWaiters as FileUploadWaiters
    from ._waiters import IngestWaiters as IngestWaiters

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

# The mixins of models and namespaces (meibel/_needs.py) load with the first class that uses
# one, not with the door: name -> module.
_MIXINS = {
    **dict.fromkeys(
        (
            "ArtifactExtras",
            "ChatMessageResponseExtras",
            "CreatedSessionExtras",
            "SessionDetailsExtras",
            "SessionMessageItemExtras",
        ),
        "._model_extras",
    ),
    **dict.fromkeys(("FolderUploads", "AsyncFolderUploads"), "._folder_upload"),
    **dict.fromkeys(
        (
            f"{prefix}{namespace}Waiters"
            for prefix in ("", "Async")
            for namespace in (
                "ConfidenceScoring",
                "DatasourceDownloads",
                "Documents",
                "FileUpload",
                "Ingest",
            )
        ),
        "._waiters",
    ),
}


def __getattr__(name: str) -> Any:
    module = _MIXINS.get(name)
    if module is not None:
        return getattr(importlib.import_module(module, __package__), name)
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


Files: TypeAlias = "Sequence[tuple[str, Any]] | None"


class SyncClient(Protocol):
    """The hooks of MeibelClient that the generated methods call (meibel/_client.py)."""

    @property
    def path_defaults(self) -> Mapping[str, str]:
        """Path parameters a call may omit (e.g. `datasource_id`), as the client was configured."""
        ...

    def _request(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        form: object = ...,
        files: Files = ...,
        options: RequestOptions | None = ...,
    ) -> Any: ...
    def _session(
        self, operation: Operation, arguments: dict[str, Any], *, ok: int, options: Any = ...
    ) -> Any: ...
    def _paginate(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        style: PageStyle,
        items: str,
        options: RequestOptions | None = ...,
    ) -> Any: ...
    def _stream(self, operation: Operation, arguments: dict[str, Any], **plan: Any) -> Any: ...
    def _chat_stream(self, operation: Operation, arguments: dict[str, Any], **plan: Any) -> Any: ...
    def _download(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        options: RequestOptions | None = ...,
    ) -> Any: ...


class AsyncClient(Protocol):
    """The hooks of AsyncMeibelClient: the same, awaitable (but `_paginate`, which is lazy)."""

    @property
    def path_defaults(self) -> Mapping[str, str]: ...

    async def _request(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        form: object = ...,
        files: Files = ...,
        options: RequestOptions | None = ...,
    ) -> Any: ...
    async def _session(
        self, operation: Operation, arguments: dict[str, Any], *, ok: int, options: Any = ...
    ) -> Any: ...
    def _paginate(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        style: PageStyle,
        items: str,
        options: RequestOptions | None = ...,
    ) -> Any: ...
    async def _stream(
        self, operation: Operation, arguments: dict[str, Any], **plan: Any
    ) -> Any: ...
    async def _chat_stream(
        self, operation: Operation, arguments: dict[str, Any], **plan: Any
    ) -> Any: ...
    async def _download(
        self,
        operation: Operation,
        arguments: dict[str, Any],
        *,
        ok: int,
        options: RequestOptions | None = ...,
    ) -> Any: ...


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
    __slots__ = (
        "_chat_stream",
        "_client",
        "_download",
        "_paginate",
        "_request",
        "_session",
        "_stream",
    )
    # The default of the body fields' keyword arguments in the generated signatures.
    _OMITTED: ClassVar[Any] = _OMITTED

    def __init__(self, client: SyncClient | AsyncClient) -> None:
        self._client = client
        self._request = client._request
        self._session = client._session
        self._paginate = client._paginate
        self._stream = client._stream
        self._chat_stream = client._chat_stream
        self._download = client._download

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


class AsyncAPIResource(_APIResource):
    """Base of the asynchronous namespaces: the client, and its hooks bound once."""

    __slots__ = ()
    _client: AsyncClient
