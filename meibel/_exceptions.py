"""Every error the SDK raises.

MeibelError
├── APIError                      a request was made and failed
│   ├── APIStatusError            the API answered with a non-2xx status
│   │   ├── BadRequestError           400
│   │   ├── AuthenticationError       401
│   │   ├── PermissionDeniedError     403
│   │   ├── NotFoundError             404
│   │   ├── ConflictError             409
│   │   ├── UnprocessableEntityError  422
│   │   ├── RateLimitError            429
│   │   └── InternalServerError       >= 500
│   ├── APIConnectionError        no usable answer: connection refused, reset, DNS, ...
│   │   │                         (`request_sent`: whether the whole request had been sent)
│   │   └── APITimeoutError       the request timed out
│   └── APIResponseValidationError   a 2xx answer the spec's models cannot parse
├── UnsafeFilenameError           a server-chosen filename names no safe file (also a ValueError)
├── FileChangedError              a file changed size while it was being uploaded
├── JobFailedError                a job a waiter followed ended in failure (`status`, `error`)
├── JobTimeoutError               a waiter's timeout passed before its job ended (`last_status`)
└── StreamError                   a server-sent event stream went wrong after its 200
    ├── StreamInterruptedError    the stream ended before it completed (partial text kept)
    │   └── StreamDeadlineError   the deadline given to the stream passed first
    ├── StreamStalledError        no byte arrived for the configured idle time
    ├── StreamEventError          the server sent an `error` event
    ├── MalformedEventError       a known event carried a payload that does not parse
    └── EventTooLargeError        one event outgrew max_event_size before it ended

UploadInterrupted (meibel/_folder_walk.py) is no MeibelError: a BaseException, like the
KeyboardInterrupt or cancellation that interrupted a folder upload; `report` says what was done.

Messages name the request (method and URL) and the server's own detail, never the API key.

The vendor SDK's names (`meibel` 2.0.7 on PyPI) are aliases where they mean the same error:
ApiError = APIStatusError, AuthorizationError = PermissionDeniedError, ServerError =
InternalServerError (AuthenticationError, NotFoundError and RateLimitError are ours too). Its
ValidationError (400 and 422 alike) has none: catch BadRequestError and UnprocessableEntityError.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "ApiError",
    "AuthenticationError",
    "AuthorizationError",
    "BadRequestError",
    "ConflictError",
    "EventTooLargeError",
    "FileChangedError",
    "InternalServerError",
    "JobFailedError",
    "JobTimeoutError",
    "MalformedEventError",
    "MeibelError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "StreamDeadlineError",
    "StreamError",
    "StreamEventError",
    "StreamInterruptedError",
    "StreamStalledError",
    "UnprocessableEntityError",
    "UnsafeFilenameError",
    "UploadUndecidedError",
    "request_id_of",
]


def request_id_of(response: httpx2.Response) -> str | None:
    """The server's id for the request `response` answers (`X-Request-ID`, else `Request-ID`)."""
    headers = response.headers
    return headers.get("x-request-id") or headers.get("request-id")


class MeibelError(Exception):
    """Base of every error this SDK raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its attributes (the request and response, read), so an error crosses to
        another process (a process pool, Dask) whole; __init__'s keyword-only arguments would
        not survive pickle's default."""
        return (_unpickled, (type(self), self.args, self.__dict__))


def _unpickled(cls: type[MeibelError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class APIError(MeibelError):
    """A request to the API failed. `request` is the last request sent."""

    def __init__(self, message: str, *, request: httpx2.Request) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIStatusError(APIError):
    """The API answered with a non-2xx status."""

    status_code: int

    def __init__(self, message: str, *, response: httpx2.Response, body: object) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.request_id = request_id_of(response)


class BadRequestError(APIStatusError):
    """400: the API rejected the request as malformed."""

    status_code = 400


class AuthenticationError(APIStatusError):
    """401: the API key is missing or not valid."""

    status_code = 401


class PermissionDeniedError(APIStatusError):
    """403: the API key may not do this."""

    status_code = 403


class NotFoundError(APIStatusError):
    """404: no such resource (or path)."""

    status_code = 404


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""

    status_code = 409


class UnprocessableEntityError(APIStatusError):
    """422: the API rejected the request's parameters; `errors` lists its validation details."""

    status_code = 422

    @property
    def errors(self) -> list[dict[str, Any]]:
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        return (
            [item for item in detail if isinstance(item, dict)] if isinstance(detail, list) else []
        )


class RateLimitError(APIStatusError):
    """429: too many requests, once the client's retries did not get through."""

    status_code = 429


class InternalServerError(APIStatusError):
    """Any 5xx answer: the server failed."""


class APIConnectionError(APIError):
    """The request got no usable answer (refused, reset, DNS failure, protocol error...).

    `request_sent` is True when the whole request had reached the connection: the server may
    have processed it, so sending it again may do it twice. False: it was never sent, or only in
    part, so the server did not receive a complete request.
    """

    def __init__(self, message: str, *, request: httpx2.Request, request_sent: bool = True) -> None:
        super().__init__(message, request=request)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class APIResponseValidationError(APIError):
    """A 2xx answer that does not match the spec's model for it; `request_id` is the server's id
    for the request, when it sent one."""

    def __init__(self, message: str, *, response: httpx2.Response) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.request_id = request_id_of(response)


class UnsafeFilenameError(MeibelError, ValueError):
    """A server-chosen filename (an artifact's) names no file that can be written safely.

    A MeibelError (the server sent it) and a ValueError (what `save()` raises for other unusable
    artifacts), so either `except` catches it.
    """

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message)
        self.filename = filename


class StreamError(MeibelError):
    """A server-sent event stream failed after the server accepted it.

    `request_id` is the server's id for the stream's request when it sent one (set on the errors
    raised while the stream is read; None on a MalformedEventError raised by a lazy `.model`).
    """

    request_id: str | None = None


class StreamInterruptedError(StreamError):
    """The stream ended before its completion; `text` is the assistant text received so far."""

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.text = text


class StreamDeadlineError(StreamInterruptedError):
    """The stream's `deadline` (seconds) passed before it ended; `text` is the text so far."""

    def __init__(self, message: str, *, deadline: float, text: str = "") -> None:
        super().__init__(message, text=text)
        self.deadline = deadline


class StreamStalledError(StreamError):
    """No byte arrived for `idle_timeout` seconds; `text` is the text received so far."""

    def __init__(self, message: str, *, idle_timeout: float, text: str = "") -> None:
        super().__init__(message)
        self.idle_timeout = idle_timeout
        self.text = text


class StreamEventError(StreamError):
    """The server sent an `error` event (gateways do this on overload after the 200)."""

    def __init__(self, message: str, *, status_code: int | None, body: object) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class MalformedEventError(StreamError):
    """A known event's payload is not what the spec says (`event` names it, `data` is raw)."""

    def __init__(self, message: str, *, event: str, data: str) -> None:
        super().__init__(message)
        self.event = event
        self.data = data


class FileChangedError(MeibelError):
    """A file grew or shrank while it was uploaded: what was sent is not the file, so the request
    was abandoned before it completed. `path` names the file."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class UploadUndecidedError(MeibelError):
    """A file's upload was sent in full and its answer lost, and the server's content listing
    cannot tell whether it stored it (see docs/uploads.md, "What is guaranteed"). It is not sent
    again, so it is not stored twice. `listed` is the ContentItem the server lists under that
    name (None when the listing itself failed); the message says how the answer was lost."""

    def __init__(self, message: str, *, listed: Any) -> None:
        super().__init__(message)
        self.listed = listed


class JobFailedError(MeibelError):
    """A job a waiter followed (`client.documents.wait(...)`, ...) ended in failure.

    `status` is its terminal status model, or the stream event (for an `error` event, its
    payload) that ended it; `error` is the server's error message, or None when it gave none.
    """

    def __init__(self, message: str, *, job_id: str, status: Any, error: str | None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.status = status
        self.error = error


class JobTimeoutError(MeibelError):
    """A waiter's `timeout` passed before its job ended; the job itself goes on.

    `last_status` is the last status model or stream event seen (None when none arrived).
    """

    def __init__(self, message: str, *, job_id: str, timeout: float, last_status: Any) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.timeout = timeout
        self.last_status = last_status


class EventTooLargeError(StreamError):
    """One event grew past `max_event_size` bytes before it ended; the stream is closed."""

    def __init__(self, message: str, *, max_event_size: int) -> None:
        super().__init__(message)
        self.max_event_size = max_event_size


# The vendor SDK's names for the same errors (see the module docstring).
ApiError = APIStatusError
"""The vendor SDK's name for `APIStatusError`."""
AuthorizationError = PermissionDeniedError
"""The vendor SDK's name for `PermissionDeniedError`."""
ServerError = InternalServerError
"""The vendor SDK's name for `InternalServerError`."""

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _response_body(response: httpx2.Response) -> object:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text


def _detail(body: object, status_code: int) -> str:
    """The server's own explanation, readable: FastAPI's `detail` string or validation list."""
    detail = body.get("detail", body.get("message", body)) if isinstance(body, dict) else body
    if status_code == 422 and isinstance(detail, list):
        lines = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(part) for part in item.get("loc", []))
                lines.append(f"  {where}: {item.get('msg', item)}")
            else:
                lines.append(f"  {item}")
        return "validation failed:\n" + "\n".join(lines)
    if isinstance(detail, str):
        return detail[:2000]
    return json.dumps(detail, default=str)[:2000]


def status_error(response: httpx2.Response, *, note: str = "") -> APIStatusError:
    """The exception for a non-2xx response (its body must already be read).

    `note` says how hard the call tried ("after 3 attempts over 2.1 s; max_retries=2").
    """
    body = _response_body(response)
    code = response.status_code
    cls = _STATUS_ERRORS.get(code) or (InternalServerError if code >= 500 else APIStatusError)
    request = response.request
    message = f"{request.method} {request.url} -> {code}: {_detail(body, code)}"
    request_id = request_id_of(response)
    if request_id:
        message += f" (request id {request_id})"
    if note:
        message += f" ({note})"
    return cls(message, response=response, body=body)
