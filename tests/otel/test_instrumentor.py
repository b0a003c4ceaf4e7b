"""The instrumentor as the OpenTelemetry conventions have it: instrument() and uninstrument(),
clients made before it traced too, suppression honoured, found by `opentelemetry-instrument`;
and none of it costs a plain install anything (`import meibel` imports no OpenTelemetry)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from answers import DATASOURCE
from opentelemetry.instrumentation.utils import suppress_instrumentation
from otel_support import KEY, Recorded, instrumented, sync_client
from wire import RecordingServer

from meibel import _otel_calls, _otel_patches
from meibel._generated import PACKAGE
from meibel.otel import MeibelInstrumentor

ROOT = Path(__file__).resolve().parents[2]


def _seams() -> list[object]:
    found = []
    for module, path in _otel_patches.SEAMS:
        owner: object = importlib.import_module(module)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        found.append(vars(owner)[name])  # KeyError: a seam was renamed; see _otel_patches.py
    return found


def test_uninstrument_puts_every_seam_back_and_records_nothing_more(
    server: RecordingServer,
) -> None:
    before = _seams()
    with instrumented() as recorded:
        assert all(new is not old for new, old in zip(_seams(), before, strict=True))
    assert _seams() == before
    server.respond(200, DATASOURCE)
    with sync_client(server.url + "/v2") as client:
        client.datasources.get_datasource("ds_1")
    assert recorded.spans() == []


def test_clients_made_before_instrument_are_traced(server: RecordingServer) -> None:
    server.respond(200, DATASOURCE)
    server.respond(200, DATASOURCE)
    with sync_client(server.url + "/v2") as client:
        client.datasources.get_datasource("ds_1")  # its namespace bound before instrument()
        with instrumented() as recorded:
            client.with_options(timeout=5).datasources.get_datasource("ds_2")
    assert [span.name for span in recorded.spans()] == ["getDatasource"]


def test_suppressed_instrumentation_records_nothing(
    recorded: Recorded, server: RecordingServer
) -> None:
    server.respond(200, DATASOURCE)
    with suppress_instrumentation(), sync_client(server.url + "/v2") as client:
        client.datasources.get_datasource("ds_1")
    assert recorded.spans() == []
    assert "traceparent" not in server.requests[0].headers


def test_instrumenting_twice_is_harmless(recorded: Recorded, server: RecordingServer) -> None:
    assert MeibelInstrumentor() is MeibelInstrumentor()
    MeibelInstrumentor().instrument()  # logs a warning, changes nothing
    server.respond(200, DATASOURCE)
    with sync_client(server.url + "/v2") as client:
        client.datasources.get_datasource("ds_1")
    assert len(recorded.spans()) == 1


@pytest.mark.spec
def test_every_operation_is_named_after_its_operation_id(recorded: Recorded) -> None:
    api = importlib.import_module(f"{PACKAGE}.api")
    modules = [
        info.name
        for info in pkgutil.walk_packages(api.__path__, f"{api.__name__}.")
        if not info.ispkg
    ]
    assert len(modules) > 50
    names = {
        module: _otel_calls._operations().get(module, ("", ""))[0]
        for module in modules
        if hasattr(importlib.import_module(module), "_get_kwargs")
    }
    assert [module for module, name in names.items() if not name] == []


def test_opentelemetry_instrument_finds_the_instrumentor() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    target = project["entry-points"]["opentelemetry_instrumentor"]["meibel"]
    module, _, name = target.partition(":")
    assert getattr(importlib.import_module(module), name) is MeibelInstrumentor
    assert any(r.startswith("opentelemetry-api") for r in project["optional-dependencies"]["otel"])


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_import_meibel_imports_no_opentelemetry() -> None:
    run = _python(
        "import sys, meibel, meibel.models\n"
        f"client = meibel.MeibelClient(api_key={KEY!r}, base_url='http://127.0.0.1:9/v2')\n"
        "client.datasources, meibel.AsyncMeibelClient\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_without_opentelemetry_meibel_otel_names_the_extra_to_install() -> None:
    run = _python("import sys\nsys.modules['opentelemetry'] = None\nimport meibel.otel")
    assert run.returncode != 0
    assert 'pip install "meibel-sdk[otel]"' in run.stderr
