"""One call of the API as OpenTelemetry records it: a CLIENT span and one duration measurement.

`Telemetry` is what `MeibelInstrumentor.instrument()` makes: the tracer, the
`http.client.request.duration` histogram, and each generated operation's operationId and route
template (read from the packaged plans.json: the operation module `meibel_api_v2.api.<namespace>.
<method>` is the plan's). `Telemetry.start` opens a `Call` for a request about to be sent:

- the span is named after the operationId (a request the spec has no operation for, sent with
  `client.get(...)` and its siblings, is named after its method, as the conventions name a
  request without a route template) and holds the HTTP client conventions' attributes, the
  route template (`url.template`) and `meibel.operation_id`; its context is injected into the
  request's headers (the global propagator's `traceparent`);
- each resend is an event (`meibel.retry`: its ordinal, the failure that caused it, the delay),
  and a wait at the client's rate gate another (`meibel.rate_gate.hold`);
- the answer (`answered`) or the error (`failed`) sets the status code, `error.type` and the
  server's request id (`meibel.request_id`), and records the duration once: up to the answer's
  headers for a stream or a download, up to its whole body otherwise;
- a stream's span ends when the stream is closed or exhausted, with its event count, the time
  to its first event and whether it was read to its end (`meibel.stream.*`).

No header is recorded, and every text recorded is scrubbed of the client's key (meibel/
_otel_redact.py).
"""

from __future__ import annotations

import json
import time
import traceback
from importlib import resources
from typing import TYPE_CHECKING, Any

from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._exceptions import APIStatusError, request_id_of
from ._generated import PACKAGE
from ._otel_redact import redact_url, scrub

if TYPE_CHECKING:
    from contextvars import Token

    import httpx2
    from opentelemetry.context import Context
    from opentelemetry.metrics import Histogram, Meter
    from opentelemetry.trace import Span, Tracer

__all__ = ["CALL_KEY", "OPERATION_KEY", "Call", "Telemetry", "error_type", "record_failure"]

# request.extensions: the generated endpoint module a request was built for, and its Call.
OPERATION_KEY = "meibel.operation"
CALL_KEY = "meibel.call"

_KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
_DEFAULT_PORTS = {"https": 443, "http": 80}
# The conventions' advised boundaries for http.client.request.duration, in seconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def error_type(error: BaseException) -> str:
    """`error.type`: a status error's code, else the error's class by its public name
    ("meibel.APITimeoutError", "httpx2.ConnectError")."""
    if isinstance(error, APIStatusError):
        return str(error.status_code)
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    public = []
    for part in kind.__module__.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return ".".join([*public, kind.__qualname__])


def record_failure(span: Span, error: BaseException, key: str = "") -> str:
    """Mark `span` failed by `error` (its exception event scrubbed of `key`); its error.type."""
    kind = error_type(error)
    span.set_attribute("error.type", kind)
    span.set_status(Status(StatusCode.ERROR))
    stacktrace = "".join(traceback.format_exception(error))
    span.record_exception(
        error,
        attributes={
            "exception.message": scrub(str(error), key),
            "exception.stacktrace": scrub(stacktrace, key),
        },
    )
    return kind


def _operations() -> dict[str, tuple[str, str]]:
    """Each operation module's name -> (operationId, route template)."""
    text = resources.files(PACKAGE).joinpath("plans.json").read_text(encoding="utf-8")
    return {
        f"{PACKAGE}.api.{plan['namespace']}.{plan['method']}": (plan["operation_id"], plan["path"])
        for plan in json.loads(text).values()
    }


def _protocol_version(response: httpx2.Response) -> str | None:
    """`network.protocol.version`: "1.1", "2" (httpx2 says "HTTP/1.1", "HTTP/2")."""
    prefix, _, version = response.http_version.partition("/")
    return version if prefix == "HTTP" and version else None


class Telemetry:
    """The tracer, the duration histogram and the operations' names (see the module docstring)."""

    __slots__ = ("_duration", "_operations", "tracer")

    def __init__(self, tracer: Tracer, meter: Meter) -> None:
        self.tracer = tracer
        self._duration = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=_BUCKETS,
        )
        self._operations = _operations()

    def start(self, client: Any, request: httpx2.Request) -> Call | None:
        """The Call of `request`, its span started; None while instrumentation is suppressed."""
        if not is_http_instrumentation_enabled():
            return None
        key: str = client._api_key.get()
        url = request.url
        method = request.method
        known = method if method in _KNOWN_METHODS else "_OTHER"
        common: dict[str, Any] = {
            "http.request.method": known,
            "server.address": url.host,
            "server.port": url.port or _DEFAULT_PORTS.get(url.scheme, 0),
        }
        attributes = {**common, "url.full": redact_url(str(url), key)}
        if known != method:
            attributes["http.request.method_original"] = method
        operation = request.extensions.get(OPERATION_KEY)
        found = self._operations.get(getattr(operation, "__name__", ""))
        name = method if known == method else "HTTP"
        if found is not None:
            name, route = found
            template = client.base_url.path.rstrip("/") + route
            common["url.template"] = attributes["url.template"] = template
            attributes["meibel.operation_id"] = name
        span = self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        propagate.inject(request.headers, context=trace.set_span_in_context(span))
        call = Call(span, self._duration, common, key)
        request.extensions[CALL_KEY] = call
        return call


class Call:
    """One call's span and measurement (see the module docstring)."""

    __slots__ = (
        "_duration",
        "_ended",
        "_failure",
        "_key",
        "_measure",
        "_pending",
        "_reading",
        "_started",
        "complete",
        "events",
        "first_event",
        "resends",
        "span",
    )

    def __init__(self, span: Span, duration: Histogram, measure: dict[str, Any], key: str) -> None:
        self.span = span
        self._duration = duration
        self._measure: dict[str, Any] | None = measure  # None once recorded
        self._key = key
        self._started = time.perf_counter()
        self._ended = False
        self._failure: tuple[str, int | None] = ("_OTHER", None)
        self.resends = 0
        self.events: int | None = None  # a stream's, once it is read
        self.first_event: float | None = None
        self.complete = False
        self._reading = False  # a stream's events are being read
        self._pending = False  # the body is closed, the span waits for the events' end

    def enter(self) -> Token[Context]:
        """Make the span current (until `exit(token)`)."""
        return context.attach(trace.set_span_in_context(self.span))

    @staticmethod
    def exit(token: Token[Context]) -> None:
        context.detach(token)

    # -- between attempts (meibel/_otel_attempts.py) -----------------------------------------------

    def held(self, seconds: float) -> None:
        self.span.add_event("meibel.rate_gate.hold", {"meibel.rate_gate.wait": seconds})

    def attempt_failed(self, kind: str, status: int | None = None) -> None:
        """The attempt that just ended failed so (its error.type, its status code if any)."""
        self._failure = (kind, status)

    def resending(self, count: int, delay: float) -> None:
        """The request is sent again, for the `count`th time, after `delay` seconds."""
        self.resends = count
        kind, status = self._failure
        attributes: dict[str, Any] = {
            "http.request.resend_count": count,
            "error.type": kind,
            "meibel.retry.delay": delay,
        }
        if status is not None:
            attributes["http.response.status_code"] = status
        self.span.add_event("meibel.retry", attributes)

    # -- the outcome -------------------------------------------------------------------------------

    def _answer(self, response: httpx2.Response) -> None:
        status = response.status_code
        attributes: dict[str, Any] = {"http.response.status_code": status}
        version = _protocol_version(response)
        if version is not None:
            attributes["network.protocol.version"] = version
        measure = self._measure
        if measure is not None:
            measure.update(attributes)
        request_id = request_id_of(response)
        if request_id:
            attributes["meibel.request_id"] = scrub(request_id, self._key)
        if self.resends:
            attributes["http.request.resend_count"] = self.resends
        self.span.set_attributes(attributes)

    def answered(self, response: httpx2.Response) -> None:
        """A 2xx answer arrived (its body read unless it is a stream or a download)."""
        self._answer(response)
        self._record()

    def failed(self, error: BaseException) -> None:
        """The call, or the reading of its stream, failed with `error`."""
        if isinstance(error, APIStatusError):
            self._answer(error.response)
        elif self.resends:
            self.span.set_attribute("http.request.resend_count", self.resends)
        kind = record_failure(self.span, error, self._key)
        self._record(kind)

    def _record(self, kind: str | None = None) -> None:
        measure = self._measure
        if measure is None:
            return  # a stream's, at its headers
        self._measure = None
        if kind is not None:
            measure["error.type"] = kind
        self._duration.record(time.perf_counter() - self._started, measure)

    # -- a stream's events (meibel/_otel_streams.py) -----------------------------------------------

    def stream_opened(self) -> None:
        self.events = 0
        self._reading = True

    def event_seen(self) -> None:
        if self.first_event is None:
            self.first_event = time.perf_counter() - self._started
        self.events = (self.events or 0) + 1

    def stream_closed(self) -> None:
        """The events stopped (ran out, failed, or were closed): end a span kept for them."""
        self._reading = False
        if self._pending:
            self.end()

    def body_closed(self, read_out: bool) -> None:
        """The body was closed. Read to its end (or to a failure) while the events are read, the
        span waits for them: what the stream makes of that end (its last events, an
        interruption) is still to come. Otherwise it ends now."""
        if read_out and self._reading:
            self._pending = True
        else:
            self.end()

    def end(self) -> None:
        """End the span (once: a stream's may be closed more than once)."""
        if self._ended:
            return
        self._ended = True
        span = self.span
        if self.events is not None:
            attributes: dict[str, Any] = {
                "meibel.stream.events": self.events,
                "meibel.stream.complete": self.complete,
            }
            if self.first_event is not None:
                attributes["meibel.stream.time_to_first_event"] = self.first_event
            span.set_attributes(attributes)
        span.end()
