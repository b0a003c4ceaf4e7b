"""Where instrumentation attaches to the SDK, and how `uninstrument()` detaches it.

Nothing in the SDK checks whether it is instrumented: `install` replaces a few of its own
functions (its seams, `SEAMS`) with traced wrappers, and `remove` puts the originals back. So an
uninstrumented call costs nothing at all, and the wrappers are looked up at every call (a method
through the client's class, a name through its module), so clients made before `instrument()`
are traced too. The seams:

- `BaseClient._build_request` notes on the request which operation it is for;
- `MeibelClient._send` / `AsyncMeibelClient._send` (one per call: every attempt, redirect and
  retry) open the call's span, current while it is sent (meibel/_otel_calls.py);
- the `Attempts` their send loops make become `TracedAttempts` (retries, the rate gate);
- `EventStream._events` / `AsyncEventStream._events` count a stream's events
  (meibel/_otel_streams.py);
- the waiters' drivers and the folder uploads get their parent spans (meibel/_otel_parents.py).

A seam that is gone (renamed by a refactoring) fails `install` with its name, and
tests/otel/test_seams.py says so first.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from ._otel_calls import OPERATION_KEY, Telemetry
from ._otel_streams import ObservedBody, acounted, call_of, counted

__all__ = ["SEAMS", "install", "installed", "remove"]

# (module, attribute path): each replaced by `_WRAPPERS[its index]`.
SEAMS: tuple[tuple[str, str], ...] = (
    ("meibel._base_client", "BaseClient._build_request"),
    ("meibel._client", "MeibelClient._send"),
    ("meibel._async_client", "AsyncMeibelClient._send"),
    ("meibel._client", "Attempts"),
    ("meibel._async_client", "Attempts"),
    ("meibel._streaming", "EventStream._events"),
    ("meibel._streaming", "AsyncEventStream._events"),
    ("meibel._waiters", "wait_job"),
    ("meibel._waiters", "await_job"),
    ("meibel._folder_upload", "FolderUploads.upload_folder"),
    ("meibel._folder_upload", "FolderUploads.upload_files"),
    ("meibel._folder_upload", "AsyncFolderUploads.upload_folder"),
    ("meibel._folder_upload", "AsyncFolderUploads.upload_files"),
)

_saved: list[tuple[object, str, Any]] = []


def _tag_operation(_: Telemetry, build: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(build)
    def _build_request(self: Any, operation: object, *args: Any, **kwargs: Any) -> Any:
        request = build(self, operation, *args, **kwargs)
        request.extensions[OPERATION_KEY] = operation
        return request

    return _build_request


def _traced_send(telemetry: Telemetry, send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send)
    def _send(self: Any, request: Any, *, stream: bool = False, **kwargs: Any) -> Any:
        call = telemetry.start(self, request)
        if call is None:
            return send(self, request, stream=stream, **kwargs)
        token = call.enter()
        try:
            response = send(self, request, stream=stream, **kwargs)
        except BaseException as error:
            call.failed(error)
            call.end()
            raise
        finally:
            call.exit(token)
        call.answered(response)
        if stream:
            response.stream = ObservedBody(response.stream, call)
        else:
            call.end()
        return response

    return _send


def _traced_async_send(telemetry: Telemetry, send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send)
    async def _send(self: Any, request: Any, *, stream: bool = False, **kwargs: Any) -> Any:
        call = telemetry.start(self, request)
        if call is None:
            return await send(self, request, stream=stream, **kwargs)
        token = call.enter()
        try:
            response = await send(self, request, stream=stream, **kwargs)
        except BaseException as error:
            call.failed(error)
            call.end()
            raise
        finally:
            call.exit(token)
        call.answered(response)
        if stream:
            response.stream = ObservedBody(response.stream, call)
        else:
            call.end()
        return response

    return _send


def _traced_attempts(_: Telemetry, attempts: type) -> type:
    from ._otel_attempts import TracedAttempts

    return TracedAttempts


def _counted_events(_: Telemetry, events: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(events)
    def _events(self: Any) -> Any:
        call = call_of(self.response)
        return events(self) if call is None else counted(call, events(self))

    return _events


def _acounted_events(_: Telemetry, events: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(events)
    def _events(self: Any) -> Any:
        call = call_of(self.response)
        return events(self) if call is None else acounted(call, events(self))

    return _events


def _parent(make: Callable[..., Any]) -> Callable[[Telemetry, Any], Any]:
    return lambda telemetry, original: make(telemetry.tracer, original)


def _wrappers() -> tuple[Callable[[Telemetry, Any], Any], ...]:
    from ._otel_parents import (
        traced_async_upload,
        traced_async_wait,
        traced_upload,
        traced_wait,
    )

    return (
        _tag_operation,
        _traced_send,
        _traced_async_send,
        _traced_attempts,
        _traced_attempts,
        _counted_events,
        _acounted_events,
        _parent(traced_wait),
        _parent(traced_async_wait),
        _parent(traced_upload),
        _parent(traced_upload),
        _parent(traced_async_upload),
        _parent(traced_async_upload),
    )


def _owner(module: str, path: str) -> tuple[object, str]:
    """The object holding the seam `module`:`path`, and the seam's name in it."""
    owner: object = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    if name not in vars(owner):
        raise RuntimeError(f"meibel.otel cannot attach to {module}.{path}: it is gone")
    return owner, name


def install(telemetry: Telemetry) -> None:
    """Replace every seam with its traced wrapper (all or none)."""
    owners = [_owner(module, path) for module, path in SEAMS]
    for (owner, name), wrap in zip(owners, _wrappers(), strict=True):
        original = vars(owner)[name]
        _saved.append((owner, name, original))
        setattr(owner, name, wrap(telemetry, original))


def remove() -> None:
    """Put every seam back as it was."""
    while _saved:
        owner, name, original = _saved.pop()
        setattr(owner, name, original)


def installed() -> bool:
    return bool(_saved)
