"""Each call of the API is one CLIENT span named after its operation, with the HTTP client
semantic conventions' attributes, in the caller's trace, and propagated to the server; sync and
async, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
from answers import DATASOURCE
from opentelemetry.trace import SpanKind, StatusCode
from otel_support import KEY, Recorded, call
from wire import RecordingServer

from meibel import APIConnectionError, NotFoundError


def test_a_call_is_one_client_span_named_after_its_operation(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.respond(200, DATASOURCE, **{"x-request-id": "req_7"})
    tracer = recorded.tracer_provider.get_tracer("the app")
    with tracer.start_as_current_span("checkout") as outer:
        call(mode, server.url + "/v2", lambda client: client.datasources.get_datasource("ds_1"))

    span = recorded.span("getDatasource")
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": int(server.url.rsplit(":", 1)[1]),
        "url.full": f"{server.url}/v2/datasources/ds_1?include_tables=false",
        "url.template": "/v2/datasources/{datasource_id}",
        "meibel.operation_id": "getDatasource",
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
        "meibel.request_id": "req_7",
    }
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is not None
    assert span.parent.span_id == outer.get_span_context().span_id
    assert span.context is not None
    # The server gets the span's context (W3C traceparent, the default propagator).
    traceparent = server.requests[0].headers["traceparent"]
    assert f"{span.context.trace_id:032x}-{span.context.span_id:016x}" in traceparent


def test_an_error_answer_fails_the_span_with_its_status(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.respond(404, {"detail": "no such datasource"}, **{"x-request-id": "req_404"})
    with pytest.raises(NotFoundError):
        call(mode, server.url + "/v2", lambda client: client.datasources.get_datasource("ds_x"))

    span = recorded.span("getDatasource")
    attributes = span.attributes or {}
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "404"
    assert attributes["http.response.status_code"] == 404
    assert attributes["meibel.request_id"] == "req_404"
    (exception,) = span.events
    assert exception.name == "exception"
    assert (exception.attributes or {})["exception.type"].endswith("NotFoundError")
    assert "no such datasource" in str((exception.attributes or {})["exception.message"])


def test_a_call_that_gets_no_answer_fails_the_span_with_the_error_raised(
    recorded: Recorded, mode: str
) -> None:
    with socket.socket() as unused:  # a port nobody listens on: connection refused
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v2"
    with pytest.raises(APIConnectionError):
        call(mode, url, lambda client: client.datasources.get_datasource("ds_1"), max_retries=0)

    span = recorded.span("getDatasource")
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "meibel.APIConnectionError"
    assert "http.response.status_code" not in (span.attributes or {})


def test_a_request_the_spec_has_no_operation_for_is_named_after_its_method(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.respond(200, {"ok": True})
    call(mode, server.url + "/v2", lambda client: client.get("/beta/things/t_1"))

    (span,) = recorded.spans()
    assert span.name == "GET"  # no route template: the conventions' name
    attributes = span.attributes or {}
    assert attributes["url.full"] == f"{server.url}/v2/beta/things/t_1"
    assert "url.template" not in attributes
    assert "meibel.operation_id" not in attributes


def test_url_full_holds_no_credentials(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.respond(200, DATASOURCE)
    base_url = server.url.replace("http://", "http://user:pa55@") + "/v2"
    query = {"sig": "s3cr3t", "X-Amz-Signature": "abc", "key": KEY, "page": "2"}
    call(
        mode, base_url, lambda client: client.datasources.get_datasource("ds_1", extra_query=query)
    )

    url = (recorded.span("getDatasource").attributes or {})["url.full"]
    host = server.url.removeprefix("http://")
    assert url == (
        f"http://REDACTED:REDACTED@{host}/v2/datasources/ds_1?include_tables=false"
        "&sig=REDACTED&X-Amz-Signature=REDACTED&key=REDACTED&page=2"
    )
