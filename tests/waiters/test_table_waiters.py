"""Every waiter of the table (meibel/_waiters.py WAITERS), sync and async, over real HTTP.

Nothing here names a waiter: each test runs every entry of the table, deriving the requests it
must send from the plans of the operations it calls and the answers to script from the spec's
status model, so a waiter added to the table is tested the moment `make regen` prints it.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from wire import RecordingServer, sse

from meibel import AsyncMeibelClient, JobFailedError, MeibelClient
from meibel._waiters import POLL_INTERVAL, TIMEOUT, WAITERS, WaiterSpec

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "generated" / "meibel_api_v2"
SPEC = json.loads((PACKAGE / "openapi.json").read_text("utf-8"))
PLANS = json.loads((PACKAGE / "plans.json").read_text("utf-8"))
KEY = "sk-table-waiters"
each_waiter = pytest.mark.parametrize("waiter", WAITERS, ids=lambda waiter: waiter.key)


def _example(schema: Any) -> Any:
    """A minimal valid value of `schema`: its required fields, each the simplest of its type."""
    while isinstance(schema, dict) and "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if not isinstance(schema, dict):
        return None
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _example(next(b for b in schema[key] if b.get("type") != "null"))
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _example(properties[name]) for name in schema.get("required", [])}
    return {"string": "x", "integer": 0, "number": 0.0, "boolean": False, "array": []}[kind]


def _answer(waiter: WaiterSpec, state: str, error: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = _example({"$ref": f"#/components/schemas/{waiter.model}"})
    body[waiter.state] = state
    if error is not None and waiter.error is not None:
        body[waiter.error] = error
    return body


def _ids(waiter: WaiterSpec) -> dict[str, str]:
    return {name: f"{name}_1" for name in waiter.ids}


def _path(waiter: WaiterSpec, operation_id: str) -> str:
    path = str(PLANS[operation_id]["path"])
    for name, value in _ids(waiter).items():
        path = path.replace("{" + name + "}", value)
    return "/v2" + path


def _states(waiter: WaiterSpec) -> tuple[str, str, str]:
    """A state that is not terminal, one that succeeds, one that fails (per its outcomes)."""
    pending = next((state for state, ends in waiter.outcomes.items() if ends is None), "queued")
    done = next(state for state, ends in waiter.outcomes.items() if ends is True)
    failed = next(state for state, ends in waiter.outcomes.items() if ends is False)
    return pending, done, failed


def _run(mode: str, server: RecordingServer, waiter: WaiterSpec, **options: Any) -> Any:
    ids = _ids(waiter)
    arguments = {name: ids[name] for name in waiter.keyword_only}
    settings = {"api_key": KEY, "base_url": server.url + "/v2"}

    def call(client: Any) -> Any:
        method = getattr(getattr(client, waiter.namespace), waiter.method)
        return method(ids[waiter.positional], **arguments, poll_interval=0.001, **options)

    if mode == "sync":
        with MeibelClient(**settings) as client:
            return call(client)

    async def run() -> Any:
        async with AsyncMeibelClient(**settings) as client:
            return await call(client)

    return anyio.run(run)


def _script(
    server: RecordingServer, waiter: WaiterSpec, *states: str, error: str | None = None
) -> None:
    if waiter.status is None:
        events = [sse("progress", {"progress": 50})]
        last = states[-1]
        events.append(sse(last, {"message": error} if error else {"progress": 100}))
        server.stream(events)
        return
    if waiter.stream is not None:
        server.respond(404, {"detail": "Not Found"})  # no trace: the waiter polls instead
    for state in states:
        server.respond(200, _answer(waiter, state, error))


@each_waiter
def test_each_waiter_follows_its_job_to_the_end(
    waiter: WaiterSpec, mode: str, server: RecordingServer
) -> None:
    pending, done, _ = _states(waiter)
    seen: list[Any] = []
    _script(server, waiter, pending, done)

    result = _run(mode, server, waiter, on_progress=seen.append)

    if waiter.status is None:
        assert result.type == done
        assert [event.type for event in seen] == ["progress", done]
        assert [r.target for r in server.requests] == [_path(waiter, waiter.stream or "")]
        return
    assert str(getattr(result, waiter.state)) == done
    assert type(result).__name__ == waiter.model
    assert [str(getattr(update, waiter.state)) for update in seen] == [pending, done]
    polls = [_path(waiter, waiter.status)] * 2
    follows = [_path(waiter, waiter.stream)] if waiter.stream else []
    assert [r.target for r in server.requests] == follows + polls
    assert {r.method for r in server.requests} == {"GET"}


@each_waiter
def test_each_waiter_raises_job_failed_error_with_the_servers_message(
    waiter: WaiterSpec, mode: str, server: RecordingServer
) -> None:
    _, _, failed = _states(waiter)
    _script(server, waiter, failed, error="the disk is full")

    with pytest.raises(JobFailedError) as caught:
        _run(mode, server, waiter)

    expected = "the disk is full" if waiter.error or waiter.status is None else None
    assert caught.value.error == expected
    assert caught.value.job_id == f"{waiter.positional}_1"
    assert str(caught.value).startswith(f"{waiter.noun} {waiter.positional}_1 ended with")


@each_waiter
def test_each_waiter_is_a_typed_method_of_both_clients(waiter: WaiterSpec) -> None:
    for client, is_async in (
        (MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2"), False),
        (AsyncMeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2"), True),
    ):
        method: Callable[..., Any] = getattr(getattr(client, waiter.namespace), waiter.method)
        assert inspect.iscoroutinefunction(method) is is_async
        assert inspect.getdoc(method) == (waiter.async_doc if is_async else waiter.doc)
        parameters = inspect.signature(method).parameters
        kinds = {name: parameter.kind for name, parameter in parameters.items()}
        assert kinds == {
            waiter.positional: inspect.Parameter.POSITIONAL_OR_KEYWORD,
            **dict.fromkeys(waiter.keyword_only, inspect.Parameter.KEYWORD_ONLY),
            "timeout": inspect.Parameter.KEYWORD_ONLY,
            "poll_interval": inspect.Parameter.KEYWORD_ONLY,
            "on_progress": inspect.Parameter.KEYWORD_ONLY,
        }
        assert parameters["timeout"].default == TIMEOUT
        assert parameters["poll_interval"].default == POLL_INTERVAL
        returned = str(inspect.signature(method).return_annotation)
        assert returned == waiter.model if waiter.model else returned.startswith("StreamEvent[")
