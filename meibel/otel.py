"""OpenTelemetry traces and metrics of the SDK's calls: `pip install "meibel-sdk[otel]"`, then

    from meibel.otel import MeibelInstrumentor

    MeibelInstrumentor().instrument(tracer_provider=..., meter_provider=...)

Every call of the API is then a CLIENT span named after its operation, with the HTTP client
semantic conventions' attributes, its retries and, for a stream, its events; waiters and folder
uploads are parent spans of their calls; and every call is measured in the
`http.client.request.duration` histogram. The providers default to the global ones.
`uninstrument()` puts the SDK back as it was. docs/observability.md says what each span holds.

`opentelemetry-instrument` finds the instrumentor by itself (the `opentelemetry_instrumentor`
entry point `meibel`). Only this module imports OpenTelemetry: `import meibel` does not.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

try:
    from opentelemetry import metrics, trace

    # The module is marked `# type: ignore` upstream: its class is Any to a type checker.
    from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
        BaseInstrumentor,
    )
except ImportError as error:  # pragma: no cover - the message is tested in a subprocess
    raise ImportError('meibel.otel needs OpenTelemetry: pip install "meibel-sdk[otel]"') from error

from ._otel_calls import Telemetry
from ._otel_patches import install, remove
from ._version import __version__

__all__ = ["MeibelInstrumentor"]


class MeibelInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces and measures every call of every MeibelClient and AsyncMeibelClient.

    `instrument(tracer_provider=None, meter_provider=None)`: the providers to use (the global
    ones when not given). One instance: `MeibelInstrumentor()` is always the same object, and
    instrumenting twice only logs a warning.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()  # the instrumented library is this package itself

    def _instrument(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, __version__, kwargs.get("tracer_provider"))
        meter = metrics.get_meter(__name__, __version__, kwargs.get("meter_provider"))
        install(Telemetry(tracer, meter))

    def _uninstrument(self, **kwargs: Any) -> None:
        remove()
