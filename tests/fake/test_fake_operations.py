"""FakeMeibel answers every operation of the spec, through MeibelClient and AsyncMeibelClient.

Arguments come from the spec's schemas, built by the contract suite's helpers
(contract/test_prism.py, contract/spec_values.py); only what names existing state (path ids, a
parsed document, a schema) is replaced with ids of a small world created first.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from meibel import APIStatusError, AsyncMeibelClient, MeibelClient
from meibel.testing import FakeMeibel, ToolCall
from meibel.testing._schema import spec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "contract"))
import test_prism as contract  # noqa: E402  (contract/ is not a package)

HEADERS = {"Meibel-API-Key": "k"}
DEEP_SCHEMA = {"title": "Report", "type": "object", "properties": {"title": {"type": "string"}}}
# Which job a `job_id` path parameter names, by the path it is in (first match wins).
JOB_BY_PATH = (
    ("/documents/deep-transform", "deep_job"),
    ("/documents", "parse_job"),
    ("/confidence-scoring", "scoring_job"),
    ("/datasources", "download_job"),
)
# Query parameters whose valid values come from an earlier answer, not from the spec.
FROM_EARLIER_ANSWERS = {"cursor", "continuation_token"}


def _world(fake: FakeMeibel) -> dict[str, str]:
    """An agent with a session and a scored turn, an artifact schema, a datasource with a CSV
    and a text file, a parse job, a deep transform and a download job; their ids."""
    with fake.http_client() as http:

        def call(method: str, path: str, **kwargs: Any) -> Any:
            answer = http.request(method, f"http://x/v2{path}", headers=HEADERS, **kwargs)
            assert answer.status_code == 200, answer.text
            return answer.json()

        agent = call("POST", "/agents", json={"display_name": "Support bot", "instructions": "Hi"})
        session = call("POST", f"/agents/{agent['id']}/sessions")["session_id"]
        call("POST", f"/sessions/{session}/chat", json={"user_message": "hi"})
        artifact = call(
            "POST",
            "/artifact-schemas",
            json={"display_name": "Summary", "type": "json", "schema_def": DEEP_SCHEMA},
        )
        datasource = call("POST", "/datasources", json={"name": "Reports"})["id"]
        files = [
            ("files", ("sales.csv", b"region,total\nnorth,12\n")),
            ("files", ("q4.txt", b"Q4")),
        ]
        upload = call("POST", f"/datasources/{datasource}/content", files=files)["upload_id"]
        parse = call("POST", "/documents", files={"file": ("q4.pdf", b"%PDF-1.7")})["job_id"]
        deep = call(
            "POST",
            "/documents/deep-transform",
            files={"file": ("q4.pdf", b"%PDF-1.7")},
            data={"schema": json.dumps(DEEP_SCHEMA)},
        )["job_id"]
        download = call("POST", f"/datasources/{datasource}/downloads")["job_id"]
        element = call("GET", f"/datasources/{datasource}/data-elements")["items"][0]["id"]
        [scoring] = call("GET", "/confidence-scoring/jobs")
    return {
        "agent_id": agent["id"],
        "agent_name": agent["name"],
        "session_id": session,
        "artifact_id": artifact["id"],
        "datasource_id": datasource,
        "upload_id": upload,
        "data_element_id": element,
        "table_name": "sales",
        "model_id": "invoice",
        "parse_job": parse,
        "deep_job": deep,
        "download_job": download,
        "scoring_job": scoring["job_id"],
    }


def _path_value(ids: dict[str, str], path: str, name: str) -> str:
    if name == "job_id":
        return ids[next(key for prefix, key in JOB_BY_PATH if path.startswith(prefix))]
    if name == "name":
        return "output.json" if "/artifact/" in path else ids["agent_name"]
    return ids[name]


def _seed_generic(
    fake: FakeMeibel, path: str, operation: dict[str, Any], ids: dict[str, str]
) -> None:
    """What an operation the fake answers from the spec alone names, seeded (a spec bump's new
    resources): each path id the world lacks, parents first, as a record of its item path; for
    a lookup (a GET below a collection, by required query parameters), a record of that
    collection, whose fields the query then names."""
    segments = path.split("/")
    parents: dict[str, str] = {}
    for index, segment in enumerate(segments):
        if not (segment.startswith("{") and segment.endswith("}")):
            continue
        name = segment[1:-1]
        if name not in ids:
            ids[name] = f"{name}-1"
            fake.seed("/".join(segments[: index + 1]), ids[name], **parents)  # the item path
        parents[name] = ids[name]
    required = [
        p["name"]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required") and p["name"] not in ids
    ]
    if required and not segments[-1].startswith("{"):
        record = fake.seed(segments[-2], **parents)
        ids.update({name: str(record[name]) for name in required if name in record})


def _arguments(
    path: str, operation: dict[str, Any], method: Any, ids: dict[str, str], files: Path
) -> dict[str, Any]:
    """The contract suite's arguments, pointed at the world's state."""
    arguments: dict[str, Any] = contract._arguments(operation, method, files)
    parameters = inspect.signature(method).parameters
    for parameter in operation.get("parameters", []):
        argument = contract._argument_name(parameter["name"], parameters)
        if parameter["in"] == "path":
            arguments[argument] = _path_value(ids, path, parameter["name"])
        elif parameter["name"] in FROM_EARLIER_ANSWERS:
            del arguments[argument]
        elif parameter["in"] == "query" and parameter["name"] in ids:
            arguments[argument] = ids[parameter["name"]]
    patch = {
        "moveDocuments": {"documents": [ids["parse_job"]], "datasource_id": ids["datasource_id"]},
        "submitDeepTransformFromDocument": {"document_job_id": ids["parse_job"]},
        "submitDeepTransform": {"schema": json.dumps(DEEP_SCHEMA)},
        "transformDocument": {"artifact_schema": ids["artifact_id"]},
        "submitDocumentTransform": {"artifact_schema": ids["artifact_id"]},
    }.get(operation["operationId"])
    if patch:
        body = arguments["body"]
        if isinstance(body, dict):
            arguments["body"] = {**body, **patch}
        else:
            arguments["body"] = type(body).from_dict({**body.to_dict(), **patch})
    return arguments


def _outcome(operation: dict[str, Any], result: Any, events: list[Any] | None) -> str:
    if events is not None:
        assert events, "the stream sent no events"
        assert all(event.data is not None for event in events)
        return f"stream: {' '.join(event.type for event in events)}"
    return contract._check_result(operation, result)


def _call_sync(
    client: MeibelClient, path: str, operation: dict[str, Any], ids: dict[str, str], files: Path
) -> str:
    method = contract._method(client, operation)
    result = method(**_arguments(path, operation, method, ids, files))
    if isinstance(result, contract.ChatStream):
        with result:
            return contract._check_chat(list(result))
    if isinstance(result, contract.EventStream):
        with result:
            return _outcome(operation, None, list(result))
    if isinstance(result, contract.Download):
        with result:
            return f"download: {result.read()[:8]!r}"
    return _outcome(operation, result, None)


async def _call_async(
    client: AsyncMeibelClient,
    path: str,
    operation: dict[str, Any],
    ids: dict[str, str],
    files: Path,
) -> str:
    method = contract._method(client, operation)
    result = await method(**_arguments(path, operation, method, ids, files))
    if isinstance(result, contract.AsyncChatStream):
        async with result:
            return contract._check_chat([event async for event in result])
    if isinstance(result, contract.AsyncEventStream):
        async with result:
            return _outcome(operation, None, [event async for event in result])
    if isinstance(result, contract.AsyncDownload):
        async with result:
            return f"download: {(await result.read())[:8]!r}"
    return _outcome(operation, result, None)


def _arranged(
    fake: FakeMeibel, path: str = "", operation: dict[str, Any] | None = None
) -> dict[str, str]:
    ids = _world(fake)
    if operation is not None and operation["operationId"] in fake.generic_operations():
        _seed_generic(fake, path, operation, ids)
    fake.reply("Done.", tool_calls=[ToolCall("search", {"q": "Q4"}, {"hits": 1})])
    return ids


OPERATIONS = [(path, operation) for _, path, operation in contract.OPERATIONS]


def _id(case: tuple[str, dict[str, Any]]) -> str:
    return str(case[1]["operationId"])


@pytest.mark.spec
@pytest.mark.parametrize("case", OPERATIONS, ids=_id)
def test_every_operation_answers_sync(case: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    path, operation = case
    fake = FakeMeibel()
    ids = _arranged(fake, path, operation)
    with fake.client(max_retries=0) as client:
        try:
            outcome = _call_sync(client, path, operation, ids, tmp_path)
        except APIStatusError as error:
            pytest.fail(f"{_id(case)} answered {error.status_code}: {error.body}")
    assert outcome
    assert fake.requests[-1].operation_id == operation["operationId"]
    assert fake.schema_errors == []


@pytest.mark.spec
@pytest.mark.parametrize("case", OPERATIONS, ids=_id)
def test_every_operation_answers_async(case: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    path, operation = case
    fake = FakeMeibel()
    ids = _arranged(fake, path, operation)

    async def call() -> str:
        async with fake.async_client(max_retries=0) as client:
            return await _call_async(client, path, operation, ids, tmp_path)

    try:
        outcome = asyncio.run(call())
    except APIStatusError as error:
        pytest.fail(f"{_id(case)} answered {error.status_code}: {error.body}")
    assert outcome
    assert fake.requests[-1].operation_id == operation["operationId"]
    assert fake.schema_errors == []


@pytest.mark.spec
def test_the_operations_are_the_specs_and_none_is_unimplemented() -> None:
    shipped = json.loads((ROOT / "generated" / "meibel_api_v2" / "openapi.json").read_text())
    ids = {
        operation["operationId"]
        for item in shipped["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {_id(case) for case in OPERATIONS} == ids == set(spec().operations)
    assert FakeMeibel().unimplemented() == []


# Operations without path parameters whose spec-built arguments name nothing that must exist.
SELF_CONTAINED = [
    "listAgents",
    "createAgent",
    "createDatasource",
    "parseDocument",
    "listScoringJobs",
]


def test_self_contained_operations_over_real_http(tmp_path: Path) -> None:
    fake = FakeMeibel()
    operations = {_id(case): case[1] for case in OPERATIONS}
    with fake.serve() as base_url:
        outcomes = {
            op: contract._sync_call(base_url, operations[op], tmp_path) for op in SELF_CONTAINED
        }
    assert outcomes["createAgent"] == "CreateAgentResponse"
    assert outcomes["listAgents"] == "page"
    assert [r.operation_id for r in fake.requests] == SELF_CONTAINED


SERVED = ["getAgent", "listDataElements", "streamUploadProgress", "sendChatMessageStream",
          "getDocumentResult", "deleteDatasource"]  # fmt: skip


def test_a_few_operations_over_real_http(tmp_path: Path) -> None:
    fake = FakeMeibel()
    ids = _arranged(fake)
    operations = {_id(case): case for case in OPERATIONS}
    with fake.serve() as base_url, MeibelClient(api_key="k", base_url=base_url) as client:
        outcomes = {op: _call_sync(client, *operations[op], ids, tmp_path) for op in SERVED}
    assert outcomes["getAgent"] == "AgentDetailResponse"
    assert outcomes["streamUploadProgress"] == (
        "stream: connected progress progress stream_complete"
    )
    assert outcomes["getDocumentResult"] == "download: b'# q4.pdf'"
    assert outcomes["deleteDatasource"] == "DeleteDatasourceResponse"
    assert [r.operation_id for r in fake.requests[-len(SERVED) :]] == SERVED


def test_no_module_of_the_fake_exceeds_500_lines() -> None:
    package = ROOT / "meibel" / "testing"
    sizes = {path.name: len(path.read_text().splitlines()) for path in package.glob("*.py")}
    assert len(sizes) > 5
    assert {name: size for name, size in sizes.items() if size > 500} == {}


def test_the_server_does_not_import_the_fake() -> None:
    tree = ast.parse((ROOT / "meibel" / "testing" / "_server.py").read_text())
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not any(name.endswith("_fake") or name.endswith("testing") for name in imported), (
        imported
    )
    assert "_answer" in imported
