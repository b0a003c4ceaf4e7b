"""Every operation of the spec, called through the SDK against Prism (`make contract`).

Prism (@stoplight/prism-cli, installed into contract/node_modules by `make contract`) serves the
normalised spec on 127.0.0.1 with request validation and `--errors`: a request that breaks the spec
(path, query, headers, security, JSON or multipart body) is answered with an error, which the SDK
raises, and so does a response the SDK cannot parse. Arguments come from the spec's schemas
(spec_values.py), and are checked against them before they are sent.

The copy of the spec that Prism serves works around two limits of Prism 5.16 (decisions.md):
- it cannot make up an event stream from a schema ("Cannot serialise complex objects as text"),
  so each text/event-stream response becomes a string with an example built from the spec's own
  event schemas, in the spec's order and with its sentinel; the SDK parses those events into the
  spec's typed models.
- it reads repeated multipart fields as one value (stoplightio/prism#2654, open), so an array of
  files, sent as repeated `files` parts as FastAPI expects, is declared as one file there. That
  the parts arrive intact is proven with python-multipart in tests/files/test_multipart.py.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from jsonschema import Draft202012Validator
from spec_values import JSON, Values

import meibel.models
from meibel import (
    AsyncDownload,
    AsyncMeibelClient,
    AsyncPage,
    AsyncSession,
    Download,
    MeibelClient,
    Session,
    SyncPage,
)
from meibel._chat import AsyncChatStream, ChatStream
from meibel._streaming import AsyncEventStream, EventStream
from meibel.testing._schema import spec as load_spec

HERE = Path(__file__).resolve().parent
PRISM = HERE / "node_modules" / ".bin" / "prism"
SPEC: JSON = load_spec().document
VALUES = Values(SPEC)
KEY = "sk-contract-test"
METHODS = ("get", "put", "post", "delete", "patch")


def _operations_of(document: JSON) -> Iterator[tuple[str, str, JSON]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


OPERATIONS = list(_operations_of(SPEC))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _event_stream_example(schema: JSON, sentinel: str | None) -> str:
    events = []
    for branch in schema.get("oneOf") or [schema]:
        value = VALUES.value(branch)
        if "event" in value and "data" in value:
            events.append(f"event: {value['event']}\ndata: {json.dumps(value['data'])}\n\n")
        else:
            events.append(f"data: {json.dumps(value)}\n\n")
    if sentinel:
        events.append(f"data: {sentinel}\n\n")
    return "".join(events)


def _prism_document() -> JSON:
    """The normalised spec, adapted to what Prism can mock (see the module docstring)."""
    document = json.loads(json.dumps(SPEC))
    for _, _, operation in _operations_of(document):
        for response in operation["responses"].values():
            media = response.get("content", {}).get("text/event-stream")
            if media is not None:
                example = _event_stream_example(media["schema"], media.get("x-forge-sse-sentinel"))
                media["schema"] = {"type": "string", "example": example}
    for schema in document["components"]["schemas"].values():
        for name, sub in schema.get("properties", {}).items():
            if VALUES.files(sub) == "many":
                schema["properties"][name] = {"type": "string", "format": "binary"}
    return document


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prism on 127.0.0.1, serving the normalised spec; yields its base URL."""
    assert PRISM.exists(), f"{PRISM} is missing: run `make contract`, which installs Prism"
    document = tmp_path_factory.mktemp("prism") / "openapi.json"
    document.write_text(json.dumps(_prism_document()), encoding="utf-8")
    port = _free_port()
    log = document.with_name("prism.log")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(PRISM), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(document)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while b"Prism is listening" not in log.read_bytes():
                assert process.poll() is None, f"Prism exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"Prism did not start:\n{log.read_text()}"
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def _model(schema: JSON) -> type[Any]:
    """The generated model of a schema: `{"$ref": ...}`, or an anyOf of one with null."""
    if "$ref" not in schema:
        (schema,) = (branch for branch in schema["anyOf"] if "$ref" in branch)
    name = schema["$ref"].rsplit("/", 1)[1]
    wanted = re.sub(r"[^0-9a-z]", "", name.lower())
    for candidate in meibel.models.__all__:
        if candidate.lower() == wanted:
            model: type[Any] = getattr(meibel.models, candidate)
            return model
    raise LookupError(f"no model for {name}")


def _argument_name(name: str, parameters: Any) -> str:
    for candidate in (name, _snake(name), _snake(name) + "_"):
        if candidate in parameters:
            return candidate
    raise LookupError(f"no argument for parameter {name!r} in {list(parameters)}")


def _arguments(operation: JSON, method: Any, files: Path) -> dict[str, Any]:
    """Valid arguments for `method`, checked against the spec before they are sent."""
    parameters = inspect.signature(method).parameters
    arguments: dict[str, Any] = {}
    for parameter in operation.get("parameters", []):
        value = VALUES.value(parameter["schema"], parameter["name"])
        _validate(parameter["schema"], value, f"parameter {parameter['name']}")
        arguments[_argument_name(parameter["name"], parameters)] = value
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = content["application/json"]["schema"]
        value = VALUES.value(schema)
        _validate(schema, value, "JSON body")
        arguments["body"] = _model(schema).from_dict(value)
    elif "multipart/form-data" in content:
        schema = content["multipart/form-data"]["schema"]
        properties = VALUES.resolve(schema)["properties"]
        fields = {}
        for name, sub in properties.items():
            if kind := VALUES.files(sub):
                # Two kinds of file input: a path streamed from disk and in-memory bytes.
                path = files / f"{name}.pdf"
                path.write_bytes(b"%PDF-1.7 contract test\n")
                one = (f"{name}.txt", "plain text, é\n".encode(), "text/plain")
                arguments[_argument_name(name, parameters)] = (
                    [path, one] if kind == "many" else path
                )
            else:
                fields[name] = VALUES.value(sub, name)
        _validate(schema, {**fields}, "form fields", ignore_required=True)
        arguments["body"] = fields
    return arguments


def _validate(schema: JSON, value: Any, what: str, ignore_required: bool = False) -> None:
    if ignore_required:
        schema = {**VALUES.resolve(schema), "required": []}
    # The spec's components travel with the schema, so its "#/components/..." references resolve.
    root = {**schema, "components": SPEC["components"]}
    errors = [e.message for e in Draft202012Validator(root).iter_errors(value)]
    assert errors == [], f"the test built an invalid {what}: {errors}"


def _plain(value: Any) -> Any:
    return value.to_dict() if hasattr(value, "to_dict") else value


def _check_result(operation: JSON, result: Any) -> str:
    """The SDK's result must be the typed value the spec says, and serialise back to valid JSON."""
    responses = operation["responses"]
    success = next(code for code in responses if code.startswith("2"))
    content = responses[success].get("content", {})
    if not content:
        assert result is None
        return "no content"
    schema = content["application/json"]["schema"]
    if isinstance(result, SyncPage | AsyncPage):
        _validate(schema, result.response.to_dict(), "page (re-serialised)")
        assert isinstance(result.items, list)
        return "page"
    if schema == {}:
        return "untyped"  # any JSON value, null included (Prism sends null)
    if isinstance(result, Session | AsyncSession):
        result = result.model  # a session bound to its client wraps the spec's model
    if "$ref" in schema or "anyOf" in schema:
        assert isinstance(result, _model(schema)), type(result)
    _validate(
        schema,
        [_plain(v) for v in result] if isinstance(result, list) else _plain(result),
        "result (re-serialised)",
    )
    return type(result).__name__


def _check_chat(events: list[Any]) -> str:
    types = [event.type for event in events]
    assert types.count("done") == 1, types
    assert types[-1] == "done", types
    assert {"connected", "status", "tool_call", "tool_result", "content"} <= set(types), types
    untyped = [event.type for event in events if event.type != "done" and event.model is None]
    assert untyped == [], f"events without their spec model: {untyped}"
    return f"chat stream: {' '.join(types)}"


def _method(client: Any, operation: JSON) -> Any:
    namespace = getattr(client, _snake(operation["tags"][0].replace(" ", "")))
    return getattr(namespace, _snake(operation["operationId"]))


def _sync_call(base_url: str, operation: JSON, files: Path) -> str:
    with MeibelClient(api_key=KEY, base_url=base_url, max_retries=0) as client:
        method = _method(client, operation)
        result = method(**_arguments(operation, method, files))
        if isinstance(result, ChatStream):
            with result:
                events = list(result)
            assert result.final_response().message
            return _check_chat(events)
        if isinstance(result, EventStream):
            with result:
                events = list(result)
            assert events
            assert all(event.data is not None for event in events)
            return f"event stream: {len(events)} events"
        if isinstance(result, Download):
            with result:
                result.read()  # any body: the spec leaves it unspecified
            return "download"
        return _check_result(operation, result)


async def _async_call(base_url: str, operation: JSON, files: Path) -> str:
    async with AsyncMeibelClient(api_key=KEY, base_url=base_url, max_retries=0) as client:
        method = _method(client, operation)
        result = await method(**_arguments(operation, method, files))
        if isinstance(result, AsyncChatStream):
            async with result:
                events = [event async for event in result]
            assert (await result.final_response()).message
            return _check_chat(events)
        if isinstance(result, AsyncEventStream):
            async with result:
                events = [event async for event in result]
            assert events
            assert all(event.data is not None for event in events)
            return f"event stream: {len(events)} events"
        if isinstance(result, AsyncDownload):
            async with result:
                await result.read()
            return "download"
        return _check_result(operation, result)


# operationId -> what the SDK returned, per client; the last test counts them.
EXERCISED: dict[str, dict[str, str]] = {"sync": {}, "async": {}}


def _id(case: tuple[str, str, JSON]) -> str:
    return str(case[2]["operationId"])


@pytest.mark.parametrize("case", OPERATIONS, ids=_id)
def test_sync_client_against_prism(case: tuple[str, str, JSON], prism: str, tmp_path: Path) -> None:
    method, path, operation = case
    try:
        EXERCISED["sync"][_id(case)] = _sync_call(prism, operation, tmp_path)
    except meibel.APIStatusError as error:
        pytest.fail(f"Prism rejected {method.upper()} {path}: {error}")


@pytest.mark.parametrize("case", OPERATIONS, ids=_id)
def test_async_client_against_prism(
    case: tuple[str, str, JSON], prism: str, tmp_path: Path
) -> None:
    method, path, operation = case
    try:
        EXERCISED["async"][_id(case)] = asyncio.run(_async_call(prism, operation, tmp_path))
    except meibel.APIStatusError as error:
        pytest.fail(f"Prism rejected {method.upper()} {path}: {error}")


def test_every_operation_of_the_spec_was_exercised() -> None:
    """Runs last: every operation of the vendored spec went through Prism, on both clients."""
    vendored = json.loads((HERE.parent / "openapi" / "api-v2.json").read_text(encoding="utf-8"))
    ids = {operation["operationId"] for _, _, operation in _operations_of(vendored)}
    for client, results in EXERCISED.items():
        kinds = Counter(
            "model" if outcome[0].isupper() else outcome.split(":")[0]
            for outcome in results.values()
        )
        summary = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
        print(
            f"\ncontract ({client}): {len(results)} of the spec's {len(ids)} operations ({summary})"
        )
        assert set(results) == ids, f"not exercised ({client}): {sorted(ids - set(results))}"


def test_prism_rejects_what_breaks_the_spec(prism: str) -> None:
    """The harness can fail: Prism validates bodies, security, and the form of values."""
    headers = {"Meibel-API-Key": KEY}
    chat = httpx2.post(f"{prism}/sessions/s1/chat", json={"user_msg": 1}, headers=headers)
    assert chat.status_code == 422, chat.text
    assert httpx2.get(f"{prism}/sessions/s1").status_code == 401  # no key
    # The generator's own templates send Python's "True"; the spec (and Prism) want "true".
    query = httpx2.get(f"{prism}/agents", params={"published_only": "True"}, headers=headers)
    assert query.status_code == 422, query.text
    form = httpx2.post(
        f"{prism}/sessions/s1/chat/stream", files={"include_thinking": (None, "True")},
        headers=headers,
    )  # fmt: skip
    assert form.status_code == 422, form.text
