"""scripts/plan.py: what each operation becomes, decided from the spec alone (one test per kind)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from plan import Plan, plan_operation, plans, render

from meibel._needs import KINDS, SESSION_MODELS

ROOT = Path(__file__).resolve().parent.parent
SPEC = json.loads((ROOT / "generated" / "meibel_api_v2" / "openapi.json").read_text("utf-8"))

MODELS: dict[str, Any] = {
    "Item": {"type": "object", "properties": {"id": {"type": "string"}}},
    "Page": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            "next_cursor": {"type": "string"},
            "continuation_token": {"type": "string"},
            "total": {"type": "integer"},
        },
    },
    "Thing": {"type": "object", "properties": {"name": {"type": "string"}}},
    "Session": {"type": "object", "properties": {"session_id": {"type": "string"}}},
    "Chat": {
        "oneOf": [],
        "discriminator": {
            "propertyName": "event",
            "mapping": {"partial_response": "#/x", "completion": "#/y"},
        },
    },
}


def _plan(responses: dict[str, Any], **operation: Any) -> Plan:
    spec = {"components": {"schemas": MODELS}}
    op = {"operationId": "doThing", "tags": ["Things"], "responses": responses, **operation}
    return plan_operation(spec, op, frozenset({"Session"}))


def _json(schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"content": {"application/json": {"schema": schema}}}}


def _query(*names: str) -> list[dict[str, Any]]:
    return [{"in": "query", "name": name, "schema": {"type": "string"}} for name in names]


def test_plain_model() -> None:
    plan = _plan(_json({"$ref": "#/components/schemas/Thing"}))
    assert (plan.kind, plan.response, plan.namespace, plan.method) == (
        "plain",
        "Thing",
        "things",
        "do_thing",
    )


def test_no_content_is_none_and_the_status_is_kept() -> None:
    plan = _plan({"204": {"description": "gone"}, "422": {"description": "bad"}})
    assert (plan.kind, plan.ok) == ("none", 204)


def test_an_undocumented_body_or_a_binary_one_is_a_download() -> None:
    assert _plan(_json({})).kind == "download"
    binary = {"200": {"content": {"application/octet-stream": {"schema": {"format": "binary"}}}}}
    assert _plan(binary).kind == "download"


def test_the_lowest_2xx_is_the_success() -> None:
    responses = {**_json({"$ref": "#/components/schemas/Thing"}, "201"), **_json({}, "202")}
    assert (_plan(responses).ok, _plan(responses).kind) == (201, "plain")


@pytest.mark.parametrize(
    ("parameters", "style"),
    [(("cursor", "limit"), "cursor"), (("continuation_token",), "token"), (("offset",), "offset")],
)
def test_pagination_styles(parameters: tuple[str, ...], style: str) -> None:
    plan = _plan(_json({"$ref": "#/components/schemas/Page"}), parameters=_query(*parameters))
    assert (plan.kind, plan.pagination, plan.items) == ("paginate", style, "items")


def test_a_list_without_a_way_to_the_next_page_is_plain() -> None:
    plan = _plan(_json({"$ref": "#/components/schemas/Page"}), parameters=_query("limit"))
    assert plan.kind == "plain"


def test_streams_and_chat_streams() -> None:
    sse = {"200": {"content": {"text/event-stream": {"schema": {"type": "object"}}}}}
    assert _plan(sse).kind == "stream"
    chat = {
        "200": {
            "content": {
                "text/event-stream": {
                    "schema": {"$ref": "#/components/schemas/Chat"},
                    "x-forge-sse-sentinel": "[DONE]",
                }
            }
        }
    }
    plan = _plan(chat)
    assert (plan.kind, plan.sentinel) == ("chat_stream", "[DONE]")


def test_session_models_are_bound() -> None:
    assert _plan(_json({"$ref": "#/components/schemas/Session"})).kind == "session"


@pytest.mark.parametrize(
    ("content", "body"),
    [
        ({"application/json": {"schema": {}}}, "json"),
        ({"multipart/form-data": {"schema": {}}}, "multipart"),
        ({"text/plain": {"schema": {}}}, "other"),
    ],
)
def test_request_bodies(content: dict[str, Any], body: str) -> None:
    plan = _plan(_json({}), requestBody={"content": content})
    assert plan.body == body


def test_every_operation_of_the_spec_has_one_plan_and_the_declared_kinds_hold() -> None:
    found = plans(SPEC)
    ids = [
        op["operationId"]
        for item in SPEC["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert sorted(p.operation_id for p in found) == sorted(ids)
    by_id = {p.operation_id: p for p in found}
    for need in KINDS:
        assert by_id[need.operation_id].kind == need.kind, need
    for each in found:
        if each.kind == "session":
            assert each.response in SESSION_MODELS


def test_the_vendor_aliases_are_in_the_plans() -> None:
    by_id = {p.operation_id: p for p in plans(SPEC)}
    assert "get_messages" in by_id["getSessionMessages"].aliases


def test_render_is_jinja_data_keyed_by_namespace_and_method() -> None:
    text = render(SPEC)
    assert text.startswith("{#-")
    assert '"sessions.send_chat_message_stream": {' in text
    assert "{% set MODEL_MIXINS = " in text


def test_a_needed_operation_that_changes_kind_is_refused() -> None:
    import copy

    from overlay_checks import problems

    spec = copy.deepcopy(SPEC)
    assert problems(spec) == []
    stream = spec["paths"]["/sessions/{session_id}/chat/stream"]["post"]
    stream["responses"]["200"]["content"] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/ChatMessageResponse"}}
    }
    [line] = problems(spec)
    assert "sendChatMessageStream is now planned as plain, not chat_stream" in line
    assert "meibel/_session.py" in line
