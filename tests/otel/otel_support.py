"""What the tests of meibel.otel share: the SDK instrumented into in-memory providers, what a
test recorded, and clients on a loopback server."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from meibel import AsyncMeibelClient, MeibelClient
from meibel.otel import MeibelInstrumentor

KEY = "sk-otel-5e4d3c2b1a0f9e8d"


@dataclass
class Recorded:
    """The spans and measurements a test produced."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider

    def spans(self) -> list[ReadableSpan]:
        """The ended spans, in the order they ended."""
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        (found,) = [span for span in self.spans() if span.name == name]
        return found

    def durations(self) -> list[HistogramDataPoint]:
        """The data points of http.client.request.duration."""
        data = self.reader.get_metrics_data()
        points: list[HistogramDataPoint] = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == "http.client.request.duration":
                        points += metric.data.data_points  # type: ignore[arg-type]
        return points

    def everything(self) -> str:
        """Every span, event, attribute and metric point recorded, as text."""
        data = self.reader.get_metrics_data()
        metrics = data.to_json() if data else ""
        return "\n".join([*(span.to_json() for span in self.spans()), metrics])


@contextmanager
def instrumented() -> Iterator[Recorded]:
    """The SDK instrumented into in-memory providers; uninstrumented on exit."""
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    instrumentor = MeibelInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        yield Recorded(exporter, reader, tracer_provider)
    finally:
        instrumentor.uninstrument()
        meter_provider.shutdown()


def sync_client(base_url: str, **options: Any) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=base_url, **options)


def async_client(base_url: str, **options: Any) -> AsyncMeibelClient:
    return AsyncMeibelClient(api_key=KEY, base_url=base_url, **options)


def call(mode: str, base_url: str, use: Callable[[Any], Any], **options: Any) -> Any:
    """`use(client)` on a MeibelClient ("sync") or an AsyncMeibelClient ("async", awaited)."""
    if mode == "sync":
        with sync_client(base_url, **options) as client:
            return use(client)

    async def main() -> Any:
        async with async_client(base_url, **options) as client:
            result = use(client)
            return await result if inspect.isawaitable(result) else result

    return anyio.run(main)
