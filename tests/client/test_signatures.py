"""How methods are called: ids that cannot be swapped, body fields as keywords, file names, parent
ids left to the client, and public signatures free of the generator's `Unset`.

What is checked for every operation is derived from the spec (the normalised one the generator
saw) and openapi/vendor-names.json, not from a list; behaviour goes over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from answers import CHAT_RESPONSE as CHAT
from answers import DATASOURCE
from wire import RecordingServer, parse_multipart

from meibel import AsyncMeibelClient, MeibelClient
from meibel.models import ChatMessageRequest, CreateDatasourceRequest
from scripts.plan import python_name

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "generated" / "meibel_api_v2" / "openapi.json").read_text("utf-8"))
VENDOR = json.loads((ROOT / "openapi" / "vendor-names.json").read_text("utf-8"))
KEY = "sk-signatures"
NOWHERE = "http://127.0.0.1:9/v2"
UPLOADED = {
    "success": True,
    "message": "ok",
    "datasource_id": "d",
    "upload_id": "u_1",
    "sse_url": "/v2/datasources/d/uploads/u_1/progress",
}


def _snake(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).lower()


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                yield path, _snake(operation["tags"][0]), operation


def _path_parameters(path: str) -> list[str]:
    """The path's parameters in the order of the path: the last is the operation's own id."""
    return re.findall(r"{([^}]+)}", path)


NESTED = [
    (f"{namespace}.{_snake(op['operationId'])}", _path_parameters(path))
    for path, namespace, op in _operations()
    if len(_path_parameters(path)) >= 2
]


def _targets(dotted: str) -> Iterator[Any]:
    """The method on both clients, its with_raw_response wrapper, and the wrapper's target."""
    namespace, method = dotted.split(".")
    for client in (
        MeibelClient(api_key=KEY, base_url=NOWHERE),
        AsyncMeibelClient(api_key=KEY, base_url=NOWHERE),
    ):
        resource = getattr(client, namespace)
        raw = getattr(resource.with_raw_response, method)
        yield from (getattr(resource, method), raw, inspect.unwrap(raw))


def _call(method: Any, *args: Any) -> Any:
    """`method(*args)`, awaited when it is a coroutine (the async raw wrapper binds then)."""
    called = method(*args)
    return asyncio.run(called) if inspect.iscoroutine(called) else called


def _client(server: RecordingServer, **options: Any) -> MeibelClient:
    return MeibelClient(api_key=KEY, base_url=server.url + "/v2", **options)


def _async_client(server: RecordingServer, **options: Any) -> AsyncMeibelClient:
    return AsyncMeibelClient(api_key=KEY, base_url=server.url + "/v2", **options)


# -- ids that cannot be swapped -------------------------------------------------------------


def test_the_spec_has_operations_with_parent_ids() -> None:
    assert len(NESTED) >= 8
    assert ("data_elements.get_data_element", ["datasource_id", "data_element_id"]) in NESTED


@pytest.mark.spec
@pytest.mark.parametrize(("dotted", "ids"), NESTED, ids=[dotted for dotted, _ in NESTED])
def test_parent_ids_are_keyword_only_and_the_own_id_positional(dotted: str, ids: list[str]) -> None:
    *parents, own = ids
    for method in _targets(dotted):
        parameters = inspect.signature(method).parameters
        assert parameters[own].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, (dotted, own)
        positional = [
            name
            for name, p in parameters.items()
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and name != "self"
        ]
        assert positional == [own], dotted
        for parent in parents:
            assert parameters[parent].kind is inspect.Parameter.KEYWORD_ONLY, (dotted, parent)


@pytest.mark.spec
@pytest.mark.parametrize(("dotted", "ids"), NESTED, ids=[dotted for dotted, _ in NESTED])
def test_ids_passed_by_position_in_the_old_order_are_refused(dotted: str, ids: list[str]) -> None:
    for method in _targets(dotted):
        with pytest.raises(TypeError, match="positional argument"):
            _call(method, *[f"{name}_value" for name in ids])


def test_a_nested_call_reaches_the_right_path(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"score": 1})
    with _client(recording_server) as client:
        client.confidence_scoring.with_raw_response.get_agent_session_scoring_summary(
            "s_1", agent_name="bot"
        )
    assert (
        recording_server.requests[0].path == "/v2/confidence-scoring/summary/agent/bot/session/s_1"
    )


# -- body fields as keyword arguments ----------------------------------------------------------


def test_body_fields_as_keywords_send_what_the_model_sends(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, DATASOURCE)
    recording_server.respond(200, DATASOURCE)
    with _client(recording_server) as client:
        made = client.datasources.create_datasource(name="docs", description="the docs")
        client.datasources.create_datasource(
            body=CreateDatasourceRequest(name="docs", description="the docs")
        )
    assert made.name == "docs"
    first, second = recording_server.requests
    assert first.body == second.body
    assert json.loads(first.body) == {"name": "docs", "description": "the docs"}


def test_body_and_fields_together_are_refused() -> None:
    client = MeibelClient(api_key=KEY, base_url=NOWHERE)
    with pytest.raises(TypeError, match=r"create_datasource\(\) got body= .*name="):
        client.datasources.create_datasource(body=CreateDatasourceRequest(name="a"), name="b")


def test_neither_body_nor_its_required_fields_names_what_is_missing() -> None:
    client = MeibelClient(api_key=KEY, base_url=NOWHERE)
    with pytest.raises(TypeError, match=r"create_datasource\(\) missing .*name=.*body="):
        client.datasources.create_datasource()
    with pytest.raises(TypeError, match=r"missing .*user_message= \(or message=\)"):
        client.sessions.send_chat_message("s", include_thinking=True)


def test_an_explicit_none_is_sent_and_an_omitted_field_is_not(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, CHAT)
    recording_server.respond(200, CHAT)
    with _client(recording_server) as client:
        client.sessions.send_chat_message("s", user_message="Hello", include_thinking=None)
        client.sessions.send_chat_message("s", user_message="Hello")
    first, second = (json.loads(r.body) for r in recording_server.requests)
    assert first == {"user_message": "Hello", "include_thinking": None}
    assert second == {"user_message": "Hello"}


def test_the_vendor_keyword_for_a_field(recording_server: RecordingServer) -> None:
    recording_server.respond(200, CHAT)
    recording_server.respond(200, CHAT)
    with _client(recording_server) as client:
        reply = client.sessions.send_chat_message(session_id="s", message="Hello")
        client.sessions.send_chat_message("s", body=ChatMessageRequest(user_message="Hello"))
        with pytest.raises(TypeError, match=r"got message= and user_message="):
            client.sessions.send_chat_message("s", message="a", user_message="b")
    assert reply.message == "Revenue grew 12% [1]."
    first, second = recording_server.requests
    assert first.body == second.body == b'{"user_message":"Hello"}'


def test_an_optional_body_is_left_out_or_built_from_its_fields(
    recording_server: RecordingServer,
) -> None:
    session = {"session_id": "s_1", "agent_id": "a"}
    recording_server.respond(200, session)
    recording_server.respond(200, session)
    with _client(recording_server) as client:
        client.agents.create_session("a")
        client.agents.create_session("a", prompt="Be brief.")
    bare, built = recording_server.requests
    assert bare.body == b""
    assert json.loads(built.body) == {"prompt": "Be brief."}


def test_extra_body_merges_into_a_body_built_from_fields(
    recording_server: RecordingServer,
) -> None:
    recording_server.respond(200, DATASOURCE)
    with _client(recording_server) as client:
        client.datasources.create_datasource(name="docs", extra_body={"beta": True})
    assert json.loads(recording_server.requests[0].body) == {"name": "docs", "beta": True}


@pytest.mark.anyio
async def test_async_body_fields(recording_server: RecordingServer) -> None:
    recording_server.respond(200, CHAT)
    async with _async_client(recording_server) as client:
        raw = await client.sessions.with_raw_response.send_chat_message("s", message="Hello")
        assert raw.parse().signal_id == "sig_1"
        with pytest.raises(TypeError, match="got body= and"):
            await client.sessions.send_chat_message(
                "s", body=ChatMessageRequest(user_message="x"), include_thinking=True
            )
    assert json.loads(recording_server.requests[0].body) == {"user_message": "Hello"}


def _json_body_model(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    refs = [b["$ref"] for b in schema.get("anyOf", [schema]) if "$ref" in b]
    return refs[0].rsplit("/", 1)[1] if refs else None


@pytest.mark.spec
def test_every_json_body_takes_its_fields_as_typed_keywords() -> None:
    client = MeibelClient(api_key=KEY, base_url=NOWHERE)
    checked = 0
    for _, namespace, operation in _operations():
        model = _json_body_model(operation)
        if model is None:
            continue
        method = getattr(getattr(client, namespace), _snake(operation["operationId"]))
        parameters = inspect.signature(method).parameters
        taken = {python_name(p["name"]) for p in operation.get("parameters", [])}
        schema = SPEC["components"]["schemas"][model]
        for name, field in schema.get("properties", {}).items():
            if python_name(name) in taken:
                continue  # left to body= (no such clash in this spec)
            parameter = parameters[python_name(name)]
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, (method, name)
            assert repr(parameter.default) == "...", (method, name)
            nullable = {"type": "null"} in field.get("anyOf", [])
            may_be_none = nullable or name not in schema.get("required", [])
            assert ("None" in str(parameter.annotation)) == may_be_none, (method, name)
        checked += 1
    assert checked >= 15


# -- multipart: file_name= and file= ---------------------------------------------------------


def _files(request: Any) -> list[tuple[str, str | None, bytes]]:
    parts = parse_multipart(request.headers["Content-Type"], request.body)
    return [(p.field, p.filename, p.data) for p in parts if p.filename is not None]


def test_file_name_names_the_one_file_whatever_its_input(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    path = tmp_path / "export.bin"
    path.write_bytes(b"from disk")
    inputs: list[Any] = [path, b"from bytes", io.BytesIO(b"from a file object"), ("x.txt", b"t")]
    for _ in inputs:
        recording_server.respond(200, UPLOADED)
    with _client(recording_server) as client:
        for value in inputs:
            client.file_upload.upload_content("d", file=value, file_name="data.csv")
    sent = [_files(request) for request in recording_server.requests]
    assert sent == [
        [("files", "data.csv", b"from disk")],
        [("files", "data.csv", b"from bytes")],
        [("files", "data.csv", b"from a file object")],
        [("files", "data.csv", b"t")],
    ]


def test_the_vendor_readme_upload_and_process_calls(recording_server: RecordingServer) -> None:
    processed = {"job_id": "j", "status": "completed", "result": "# Doc"}
    recording_server.respond(200, UPLOADED)
    recording_server.respond(200, processed)
    with _client(recording_server, datasource_id="ds_env") as client:
        client.datasources.content.upload_content(file=io.BytesIO(b"a,b"), file_name="data.csv")
        client.documents.process_document(file=io.BytesIO(b"%PDF"))
    upload, process = recording_server.requests
    assert upload.path == "/v2/datasources/ds_env/content"
    assert _files(upload) == [("files", "data.csv", b"a,b")]
    assert _files(process) == [("file", "file", b"%PDF")]


def test_files_and_file_together_or_a_name_for_many_files_are_refused() -> None:
    client = MeibelClient(api_key=KEY, base_url=NOWHERE)
    with pytest.raises(TypeError, match=r"upload_content\(\) got files= and file="):
        client.file_upload.upload_content("d", files=[b"a"], file=b"b")
    with pytest.raises(TypeError, match="file_name= names one file, not 2"):
        client.file_upload.upload_content("d", files=[b"a", b"b"], file_name="x.csv")
    with pytest.raises(TypeError, match="file_name= but no file"):
        client.documents.parse_document(file_name="x.pdf")


@pytest.mark.spec
def test_every_multipart_method_with_one_file_takes_file_name() -> None:
    client = MeibelClient(api_key=KEY, base_url=NOWHERE)
    seen = 0
    for _, namespace, operation in _operations():
        content = operation.get("requestBody", {}).get("content", {})
        if "multipart/form-data" not in content:
            continue
        ref = content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
        properties = SPEC["components"]["schemas"][ref]["properties"]
        binary = [n for n, p in properties.items() if "binary" in json.dumps(p)]
        parameters = inspect.signature(
            getattr(getattr(client, namespace), _snake(operation["operationId"]))
        ).parameters
        assert ("file_name" in parameters) == (len(binary) == 1), operation["operationId"]
        assert ("file" in parameters) == (binary == ["file"] or binary == ["files"])
        seen += 1
    assert seen >= 8


# -- parent ids the client fills ----------------------------------------------------------


def _defaulted() -> list[tuple[str, str, bool]]:
    """(namespace.method, parameter, whether it may be omitted) for every client default."""
    found = []
    for path, namespace, operation in _operations():
        for name in _path_parameters(path):
            if name in VENDOR["client_defaults"]:
                dotted = f"{namespace}.{_snake(operation['operationId'])}"
                found.append((dotted, name, not path.endswith("{" + name + "}")))
    return found


@pytest.mark.spec
def test_a_parent_id_with_a_client_default_may_be_omitted_and_an_own_id_may_not() -> None:
    cases = _defaulted()
    assert {may for _, _, may in cases} == {True, False}
    for dotted, name, may in cases:
        for method in _targets(dotted):
            parameter = inspect.signature(method).parameters[name]
            assert (parameter.default is None) == may, (dotted, name)


def test_the_client_fills_an_omitted_datasource_id(
    recording_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = {"items": [], "has_next": False}
    for _ in range(4):
        recording_server.respond(200, page)
    monkeypatch.setenv("MEIBEL_DATASOURCE_ID", "ds_env")
    with _client(recording_server, datasource_id="ds_opt") as client:
        list(client.data_elements.list_data_elements())
        list(client.data_elements.list_data_elements("ds_arg"))
    with _client(recording_server) as client:
        list(client.data_elements.list_data_elements())
    monkeypatch.delenv("MEIBEL_DATASOURCE_ID")
    with _client(recording_server) as client:
        with pytest.raises(TypeError) as raised:
            client.data_elements.get_data_element("e_1")
        assert str(raised.value) == (
            "get_data_element() needs datasource_id: pass it, or set "
            "MeibelClient(datasource_id=...) or MEIBEL_DATASOURCE_ID"
        )
    paths = [request.path for request in recording_server.requests]
    assert paths == [
        "/v2/datasources/ds_opt/data-elements",
        "/v2/datasources/ds_arg/data-elements",
        "/v2/datasources/ds_env/data-elements",
    ]


@pytest.mark.anyio
async def test_async_client_default(recording_server: RecordingServer) -> None:
    recording_server.respond(200, [])
    async with _async_client(recording_server, datasource_id="ds_a") as client:
        await client.table_descriptions.list_columns("orders")
    async with _async_client(recording_server) as client:
        with pytest.raises(TypeError, match=r"AsyncMeibelClient\(datasource_id=\.\.\.\)"):
            await client.table_descriptions.list_columns("orders")
    assert recording_server.requests[0].path == "/v2/datasources/ds_a/tables/orders/columns"


# -- no Unset in what users see --------------------------------------------------------------


def _namespaces(client: object) -> Iterator[tuple[str, object]]:
    """Every namespace of a client, the vendor's nested ones (`agents.sessions`) included."""
    for name in dir(type(client)):
        namespace = getattr(client, name, None)
        if name.startswith("_") or getattr(namespace, "with_raw_response", None) is None:
            continue
        yield name, namespace
        for inner in dir(type(namespace)):
            nested = getattr(namespace, inner, None)
            if not inner.startswith("_") and hasattr(nested, "with_raw_response"):
                yield f"{name}.{inner}", nested


@pytest.mark.spec
def test_no_public_signature_mentions_unset() -> None:
    checked = 0
    for client in (
        MeibelClient(api_key=KEY, base_url=NOWHERE),
        AsyncMeibelClient(api_key=KEY, base_url=NOWHERE),
    ):
        for where, namespace in _namespaces(client):
            for owner in (namespace, namespace.with_raw_response):  # type: ignore[attr-defined]
                for name in dir(owner):
                    method = getattr(owner, name)
                    if (
                        name.startswith("_")
                        or not callable(method)
                        or hasattr(method, "with_raw_response")
                    ):
                        continue
                    signature = inspect.signature(method)
                    texts = [str(signature.return_annotation)]
                    for parameter in signature.parameters.values():
                        texts += [str(parameter.annotation), repr(parameter.default)]
                    assert not [t for t in texts if "unset" in t.lower()], (where, name, texts)
                    checked += 1
    assert checked >= 4 * len(list(_operations()))


# -- what mypy sees ------------------------------------------------------------------------


def test_mypy_rejects_a_wrong_field_type_and_a_positional_parent_id(tmp_path: Path) -> None:
    """typing_tests/user_code.py shows what mypy accepts; this, what it must refuse."""
    code = tmp_path / "wrong.py"
    code.write_text(
        textwrap.dedent(
            """
            from meibel import MeibelClient

            def wrong(client: MeibelClient) -> None:
                client.datasources.create_datasource(name=1)
                client.sessions.send_chat_message("s", include_thinking="yes")
                client.datasource_downloads.download_file("ds_1", "job_1")
                client.data_elements.list_data_elements(limit="10")
                client.datasources.create_datasource(name="x", connector="s3")
            """
        )
    )
    config = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "c")]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *config, "--no-error-summary", str(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [
        line.split(": error: ", 1)[1] for line in result.stdout.splitlines() if ": error: " in line
    ]
    assert errors == [
        'Argument "name" to "create_datasource" of "Datasources" has incompatible type "int"; '
        'expected "str"  [arg-type]',
        'Argument "include_thinking" to "send_chat_message" of "Sessions" has incompatible type '
        '"str"; expected "bool | None"  [arg-type]',
        'Too many positional arguments for "download_file" of "DatasourceDownloads"  [call-arg]',
        'Argument "limit" to "list_data_elements" of "DataElements" has incompatible type "str"; '
        'expected "int | None"  [arg-type]',
        # A field typed by a model of the spec: the namespace module imports it for mypy.
        'Argument "connector" to "create_datasource" of "Datasources" has incompatible type '
        '"str"; expected "ConnectorConfig | None"  [arg-type]',
    ], result.stdout + result.stderr
