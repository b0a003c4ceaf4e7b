"""A retried call stays one span, which counts its resends and has an event for each (why, how
long it waited), and a call held at the client's rate gate says so; sync and async."""

from __future__ import annotations

import anyio
import pytest
from answers import DATASOURCE
from otel_support import Recorded, async_client, call, sync_client
from wire import RecordingServer

from meibel import RateLimitError


def test_a_retried_call_is_one_span_with_an_event_per_resend(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.respond(503, {"detail": "busy"}, **{"Retry-After": "0"})
    server.respond(502, {"detail": "bad gateway"}, **{"Retry-After": "0"})
    server.respond(200, DATASOURCE, **{"x-request-id": "req_third"})
    call(mode, server.url + "/v2", lambda client: client.datasources.get_datasource("ds_1"))

    assert len(server.requests) == 3
    (span,) = recorded.spans()
    attributes = span.attributes or {}
    assert attributes["http.request.resend_count"] == 2
    assert attributes["http.response.status_code"] == 200
    assert attributes["meibel.request_id"] == "req_third"
    assert "error.type" not in attributes
    retries = [dict(event.attributes or {}) for event in span.events]
    assert [event.name for event in span.events] == ["meibel.retry", "meibel.retry"]
    assert retries == [
        {
            "http.request.resend_count": 1,
            "error.type": "503",
            "http.response.status_code": 503,
            "meibel.retry.delay": 0.0,
        },
        {
            "http.request.resend_count": 2,
            "error.type": "502",
            "http.response.status_code": 502,
            "meibel.retry.delay": 0.0,
        },
    ]
    (point,) = recorded.durations()
    assert point.count == 1, "one measurement per call, not per attempt"


def test_a_call_out_of_retries_fails_with_the_last_answer(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    for _ in range(2):
        server.respond(500, {"detail": "down"}, **{"Retry-After": "0"})
    with pytest.raises(Exception, match="down"):
        call(
            mode,
            server.url + "/v2",
            lambda client: client.datasources.get_datasource("ds_1"),
            max_retries=1,
        )

    (span,) = recorded.spans()
    attributes = span.attributes or {}
    assert attributes["http.request.resend_count"] == 1
    assert attributes["error.type"] == "500"
    assert [event.name for event in span.events] == ["meibel.retry", "exception"]


def test_a_call_held_at_the_rate_gate_has_an_event_saying_how_long(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    """A 429 closes the client's gate: the client's next call waits there before it is sent."""
    server.respond(429, {"detail": "slow down"}, **{"retry-after-ms": "100"})
    server.respond(200, DATASOURCE)
    url = server.url + "/v2"

    def both(client: object) -> None:
        with pytest.raises(RateLimitError):
            client.datasources.get_datasource("ds_1")  # type: ignore[attr-defined]
        client.datasources.get_datasource("ds_2")  # type: ignore[attr-defined]

    async def both_async(client: object) -> None:
        with pytest.raises(RateLimitError):
            await client.datasources.get_datasource("ds_1")  # type: ignore[attr-defined]
        await client.datasources.get_datasource("ds_2")  # type: ignore[attr-defined]

    if mode == "sync":
        with sync_client(url, max_retries=0) as client:
            both(client)
    else:

        async def main() -> None:
            async with async_client(url, max_retries=0) as client:
                await both_async(client)

        anyio.run(main)

    throttled, held = recorded.spans()
    assert "meibel.rate_gate.hold" not in [event.name for event in throttled.events]
    (hold,) = held.events
    assert hold.name == "meibel.rate_gate.hold"
    assert 0 < (hold.attributes or {})["meibel.rate_gate.wait"] <= 0.1
    assert "error.type" not in (held.attributes or {})
