"""scripts/plan.py: what each operation becomes, decided from the spec alone (one test per kind)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meibel._needs import KINDS, SESSION_MODELS
from scripts.plan import (
    Plan,
    VendorNamesError,
    check_vendor_names,
    plan_operation,
    plans,
    render,
    vendor_names,
)

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.mark.spec
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


@pytest.mark.spec
def test_render_is_jinja_data_keyed_by_namespace_and_method() -> None:
    text = render(SPEC)
    assert text.startswith("{#-")
    assert '"sessions.send_chat_message_stream": {' in text
    assert "{% set MODEL_MIXINS = " in text


def test_a_needed_operation_that_changes_kind_is_refused() -> None:
    import copy

    from scripts.overlay_checks import problems

    spec = copy.deepcopy(SPEC)
    assert problems(spec) == []
    stream = spec["paths"]["/sessions/{session_id}/chat/stream"]["post"]
    stream["responses"]["200"]["content"] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/ChatMessageResponse"}}
    }
    [line] = problems(spec)
    assert "sendChatMessageStream is now planned as plain, not chat_stream" in line
    assert "meibel/_session.py" in line


# -- how a method is called --------------------------------------------------------------------

FORM = {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/Form"}}}
BINARY = {"type": "string", "format": "binary"}


def _calling(
    path: str | None = None, vendor: dict[str, Any] | None = None, **operation: Any
) -> Plan:
    spec = {"components": {"schemas": {**MODELS, **operation.pop("schemas", {})}}}
    op = {"operationId": "doThing", "tags": ["Things"], "responses": _json({}), **operation}
    return plan_operation(spec, op, frozenset(), path=path, vendor=vendor)


def _path(*names: str) -> list[dict[str, Any]]:
    return [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name in names
    ]


def test_the_own_id_is_positional_and_parent_ids_keyword_only_in_path_order() -> None:
    plan = _calling("/a/{parent}/b/{child}/c/{own}", parameters=_path("own", "child", "parent"))
    assert (plan.positional, plan.keyword_only) == (("own",), ("parent", "child"))
    single = _calling("/a/{only}", parameters=_path("only"))
    assert (single.positional, single.keyword_only) == (("only",), ())


def test_a_client_default_applies_where_the_id_is_a_parent() -> None:
    vendor = {"client_defaults": {"ds": "MEIBEL_DS"}}
    nested = _calling("/ds/{ds}/items/{item}", vendor, parameters=_path("ds", "item"))
    assert nested.client_defaults == (("ds", "MEIBEL_DS"),)
    below = _calling("/ds/{ds}/content", vendor, parameters=_path("ds"))
    assert below.client_defaults == (("ds", "MEIBEL_DS"),)
    own = _calling("/ds/{ds}", vendor, parameters=_path("ds"))
    assert own.client_defaults == ()


def test_json_body_fields_become_keywords_but_not_over_a_parameter_or_an_option() -> None:
    schemas = {
        "Req": {
            "type": "object",
            "required": ["name"],
            "properties": {p: {"type": "string"} for p in ("limit", "timeout", "type", "name")},
        }
    }
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}}
    plan = _calling(
        "/things",
        {"fields": {"Req": {"title": "name", "limit": "type"}}},
        schemas=schemas,
        requestBody=body,
        parameters=_query("limit"),
    )
    assert plan.body_fields == ("name", "type_")
    assert plan.body_clashes == ("limit", "timeout")
    # The vendor's keyword for a field, unless it is itself taken.
    assert plan.field_aliases == (("title", "name"),)


def test_a_nullable_json_body_is_its_model() -> None:
    schemas = {"Req": {"type": "object", "properties": {"prompt": {"type": "string"}}}}
    nullable = {"anyOf": [{"$ref": "#/components/schemas/Req"}, {"type": "null"}]}
    plan = _calling(
        requestBody={"content": {"application/json": {"schema": nullable}}}, schemas=schemas
    )
    assert plan.body_fields == ("prompt",)


@pytest.mark.parametrize(
    ("properties", "file_name", "file_alias"),
    [
        ({"file": BINARY, "note": {"type": "string"}}, True, False),
        ({"files": {"type": "array", "items": BINARY}}, True, True),
        ({"files": {"anyOf": [{"type": "array", "items": BINARY}, {"type": "null"}]}}, True, True),
        ({"front": BINARY, "back": BINARY}, False, False),
    ],
)
def test_multipart_file_arguments(
    properties: dict[str, Any], file_name: bool, file_alias: bool
) -> None:
    schemas = {"Form": {"type": "object", "properties": properties}}
    plan = _calling(requestBody={"content": FORM}, schemas=schemas)
    assert (plan.file_name, plan.file_alias) == (file_name, file_alias)


def test_the_spec_calls() -> None:
    by_id = {p.operation_id: p for p in plans(SPEC)}
    download = by_id["downloadFile"]
    assert (download.positional, download.keyword_only) == (("job_id",), ("datasource_id",))
    assert download.client_defaults == (("datasource_id", "MEIBEL_DATASOURCE_ID"),)
    assert by_id["getDatasource"].client_defaults == ()
    assert by_id["sendChatMessage"].field_aliases == (("message", "user_message"),)
    assert "name" in by_id["createDatasource"].body_fields
    assert all(not p.body_clashes for p in by_id.values())
    upload = by_id["uploadContent"]
    assert (upload.file_name, upload.file_alias) == (True, True)


def test_vendor_names_the_spec_lacks_are_refused() -> None:
    vendor = {
        "fields": {"Nope": {"a": "b"}, "ChatMessageRequest": {"text": "missing"}},
        "client_defaults": {"tenant_id": "MEIBEL_TENANT"},
    }
    assert check_vendor_names(SPEC, vendor) == [
        "/components/schemas/Nope: no such model; openapi/vendor-names.json fields names it",
        "/components/schemas/ChatMessageRequest/properties/missing: no such field; "
        "openapi/vendor-names.json fields makes text= its keyword",
        "/paths: no path parameter 'tenant_id'; openapi/vendor-names.json client_defaults names it",
    ]
    with pytest.raises(VendorNamesError, match="Nope: no such model"):
        plans(SPEC, vendor)
    assert check_vendor_names(SPEC, vendor_names()) == []
