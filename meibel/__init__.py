"""The Meibel AI API (v2) for Python: `from meibel import MeibelClient`.

Public names are loaded on first use, so `import meibel` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "ApiError",
    "AsyncDownload",
    "AsyncMeibelClient",
    "AsyncPage",
    "AsyncSession",
    "AuthenticationError",
    "AuthorizationError",
    "BadRequestError",
    "ConflictError",
    "Download",
    "EventTooLargeError",
    "FileChangedError",
    "InternalServerError",
    "JobFailedError",
    "JobTimeoutError",
    "MalformedEventError",
    "MeibelClient",
    "MeibelError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "ServerError",
    "Session",
    "StreamDeadlineError",
    "StreamError",
    "StreamEventError",
    "StreamInterruptedError",
    "StreamStalledError",
    "SyncPage",
    "UnprocessableEntityError",
    "UnsafeFilenameError",
    "UploadInterrupted",
    "UploadReport",
    "UploadUndecidedError",
    "__api_version__",
    "__version__",
    "is_set",
]

if TYPE_CHECKING:
    from ._async_client import AsyncMeibelClient
    from ._client import MeibelClient
    from ._download import AsyncDownload, Download
    from ._exceptions import (
        APIConnectionError,
        APIError,
        ApiError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        AuthorizationError,
        BadRequestError,
        ConflictError,
        EventTooLargeError,
        FileChangedError,
        InternalServerError,
        JobFailedError,
        JobTimeoutError,
        MalformedEventError,
        MeibelError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ServerError,
        StreamDeadlineError,
        StreamError,
        StreamEventError,
        StreamInterruptedError,
        StreamStalledError,
        UnprocessableEntityError,
        UnsafeFilenameError,
        UploadUndecidedError,
    )
    from ._fields_set import is_set
    from ._folder_upload import UploadInterrupted, UploadReport
    from ._generated import __api_version__
    from ._pagination import AsyncPage, SyncPage
    from ._response import RawResponse
    from ._session import AsyncSession, Session
    from ._types import NOT_GIVEN, NotGiven

_MODULE_OF = {
    "__api_version__": "._generated",
    "MeibelClient": "._client",
    "AsyncMeibelClient": "._async_client",
    "SyncPage": "._pagination",
    "AsyncPage": "._pagination",
    "Session": "._session",
    "AsyncSession": "._session",
    "RawResponse": "._response",
    "Download": "._download",
    "AsyncDownload": "._download",
    "UploadReport": "._folder_upload",
    "UploadInterrupted": "._folder_upload",
    "is_set": "._fields_set",
    "NOT_GIVEN": "._types",
    "NotGiven": "._types",
}


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module 'meibel' has no attribute {name!r}")
    module = importlib.import_module(_MODULE_OF.get(name, "._exceptions"), __name__)
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "models", "sse"])
