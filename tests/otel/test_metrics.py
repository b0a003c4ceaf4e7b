"""Every call is one measurement of the `http.client.request.duration` histogram, with the
semantic conventions' unit, buckets and attributes (the route template among them)."""

from __future__ import annotations

import pytest
from answers import DATASOURCE
from otel_support import Recorded, call
from wire import RecordingServer

from meibel import NotFoundError

BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]


def test_each_call_is_one_measurement_by_outcome(
    recorded: Recorded, server: RecordingServer, mode: str
) -> None:
    server.respond(200, DATASOURCE)
    server.respond(200, DATASOURCE)
    server.respond(404, {"detail": "gone"})
    url = server.url + "/v2"

    def three(client: object) -> object:
        get = client.datasources.get_datasource  # type: ignore[attr-defined]
        return [get("ds_1"), get("ds_2"), get("ds_3")]

    if mode == "sync":
        with pytest.raises(NotFoundError):
            call(mode, url, three)
    else:

        async def athree(client: object) -> None:
            get = client.datasources.get_datasource  # type: ignore[attr-defined]
            await get("ds_1")
            await get("ds_2")
            await get("ds_3")

        with pytest.raises(NotFoundError):
            call(mode, url, athree)

    common = {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": int(server.url.rsplit(":", 1)[1]),
        "url.template": "/v2/datasources/{datasource_id}",
        "network.protocol.version": "1.1",
    }
    points = {(p.attributes or {})["http.response.status_code"]: p for p in recorded.durations()}
    assert set(points) == {200, 404}
    assert dict(points[200].attributes or {}) == {**common, "http.response.status_code": 200}
    assert dict(points[404].attributes or {}) == {
        **common,
        "http.response.status_code": 404,
        "error.type": "404",
    }
    assert (points[200].count, points[404].count) == (2, 1)
    assert list(points[200].explicit_bounds) == BUCKETS
    data = recorded.reader.get_metrics_data()
    assert data is not None
    (metric,) = data.resource_metrics[0].scope_metrics[0].metrics
    assert (metric.name, metric.unit) == ("http.client.request.duration", "s")
