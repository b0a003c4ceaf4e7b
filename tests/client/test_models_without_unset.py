"""Models read None for a field that was not given, never UNSET; what was given stays knowable.

`fields_set` and `meibel.is_set` say which fields were given or received, `to_dict()` gives back
what `from_dict()` read (explicit nulls included), and a None field of a request is left out
unless it was given as None where the spec allows null.
"""

from __future__ import annotations

import copy
import datetime
import inspect
import json
import pickle
import typing
import uuid
from pathlib import Path
from typing import Any

import attrs
import meibel_api_v2.models as generated_models
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meibel_api_v2.models import (
    ChatResponse,
    CreateDatasourceRequest,
    DatasourceListResponse,
    IngestStatus,
    IngestStatusResponse,
    UpdateDatasourceRequest,
)
from meibel_api_v2.types import File, ModelBase
from wire import RecordingServer

import meibel
from meibel import MeibelClient

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "generated/meibel_api_v2/openapi.json").read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]


def _model_classes() -> list[type[ModelBase]]:
    classes = (getattr(generated_models, name) for name in generated_models.__all__)
    return [cls for cls in classes if isinstance(cls, type) and issubclass(cls, ModelBase)]


MODELS = _model_classes()
DATASOURCE = {
    "id": "ds_1",
    "name": "Reports",
    "description": "Quarterly reports",
    "connector": {"type": "cloud_storage", "cloud_storage": None},
    "created_at": "2026-01-02T03:04:05Z",
    "updated_at": "2026-01-02T03:04:05Z",
}


def test_an_absent_field_reads_none_and_is_not_set() -> None:
    status = IngestStatusResponse.from_dict({"datasource_id": "d", "status": "running"})

    assert status.completed_at is None
    assert status.methods is None
    assert meibel.is_set(status, "completed_at") is False
    assert meibel.is_set(status, "status") is True
    assert status.fields_set == {"datasource_id", "status"}
    assert "UNSET" not in repr(status)


def test_a_received_null_is_set_and_sent_back() -> None:
    data = {"datasource_id": "d", "status": "succeeded", "completed_at": None, "methods": []}
    status = IngestStatusResponse.from_dict(data)

    assert status.completed_at is None
    assert meibel.is_set(status, "completed_at") is True
    assert meibel.is_set(status, "methods") is True
    assert meibel.is_set(status, "started_at") is False
    assert status.to_dict() == data


def test_fields_set_follows_assignments() -> None:
    status = IngestStatusResponse(datasource_id="d", status=IngestStatus.RUNNING)
    assert not meibel.is_set(status, "started_at")

    status.started_at = "2026-01-02T03:04:05Z"

    assert meibel.is_set(status, "started_at")
    assert status.to_dict()["started_at"] == "2026-01-02T03:04:05Z"


def test_is_set_refuses_a_name_that_is_not_a_field() -> None:
    status = IngestStatusResponse(datasource_id="d", status=IngestStatus.RUNNING)
    with pytest.raises(AttributeError, match="completed"):
        meibel.is_set(status, "completed")
    with pytest.raises(AttributeError):
        meibel.is_set(status, "additional_properties")


def test_an_explicit_none_is_sent_as_null_only_where_the_spec_allows_null() -> None:
    # UpdateDatasourceRequest.description is nullable: None given is a null sent (clear it).
    assert UpdateDatasourceRequest(description=None).to_dict() == {"description": None}
    assert UpdateDatasourceRequest(name="Reports").to_dict() == {"name": "Reports"}
    assert UpdateDatasourceRequest().to_dict() == {}
    # CreateDatasourceRequest.description is not: None leaves it out.
    create = CreateDatasourceRequest(name="Reports", description=None)
    assert create.description is None
    assert create.to_dict() == {"name": "Reports"}


def test_explicit_nulls_survive_copies_and_pickling() -> None:
    request = UpdateDatasourceRequest(description=None)
    for twin in (copy.copy(request), copy.deepcopy(request), pickle.loads(pickle.dumps(request))):
        assert twin.to_dict() == {"description": None}
        assert twin == request


def test_the_request_on_the_wire(recording_server: RecordingServer) -> None:
    for _ in range(3):
        recording_server.respond(200, DATASOURCE)
    with MeibelClient(api_key="sk-test", base_url=recording_server.url + "/v2") as client:
        client.datasources.update_datasource("ds_1", body=UpdateDatasourceRequest(description=None))
        client.datasources.update_datasource("ds_1", body=UpdateDatasourceRequest(name="New"))
        created = client.datasources.create_datasource(
            body=CreateDatasourceRequest(name="Reports", description=None)
        )

    bodies = [json.loads(request.body) for request in recording_server.requests]
    assert bodies == [{"description": None}, {"name": "New"}, {"name": "Reports"}]
    assert created.connector.cloud_storage is None
    assert meibel.is_set(created.connector, "cloud_storage")  # received as null
    assert created.files is None
    assert not meibel.is_set(created, "files")  # not received


def test_a_constructor_default_is_sent_and_an_absent_key_is_not() -> None:
    made = ChatResponse()
    assert made.message == ""  # the spec's default
    assert made.to_dict() == {"message": ""}
    assert meibel.is_set(made, "message")

    read = ChatResponse.from_dict({})
    assert read.message is None
    assert read.to_dict() == {}
    assert not meibel.is_set(read, "message")

    assert ChatResponse(message=None).to_dict() == {"message": None}  # nullable: null sent


def test_items_is_the_one_list_of_models(recording_server: RecordingServer) -> None:
    recording_server.respond(200, {"datasources": [DATASOURCE, {**DATASOURCE, "id": "ds_2"}]})
    with MeibelClient(api_key="sk-test", base_url=recording_server.url + "/v2") as client:
        # The vendor README's loop.
        ids = [ds.id for ds in client.datasources.list_datasources().items]

    assert ids == ["ds_1", "ds_2"]
    assert DatasourceListResponse(datasources=[]).items == []
    assert isinstance(DatasourceListResponse.items, property)
    # Only the answers of list operations: a status's list of methods is not its "items".
    assert not hasattr(IngestStatusResponse, "items")


def _localns() -> dict[str, Any]:
    names = {name: getattr(generated_models, name) for name in generated_models.__all__}
    return {**names, "datetime": datetime, "File": File, "UUID": uuid.UUID}


@pytest.mark.spec
@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
def test_no_public_annotation_mentions_unset(cls: type[ModelBase]) -> None:
    hints = typing.get_type_hints(cls, localns=_localns())
    public = {name: hint for name, hint in hints.items() if not name.startswith("_")}
    assert "Unset" not in str(public)
    assert "Unset" not in str(cls.__annotations__)
    # help() and IDEs show the signature: neither the type nor the sentinel default is Unset.
    assert "unset" not in str(inspect.signature(cls.__init__)).lower()
    assert "Unset" not in (cls.__doc__ or "")
    for field in attrs.fields(cls):
        if field.init and field.default is not attrs.NOTHING and field.name in cls._meibel_optional:
            # An optional field takes None (the generator's type has it, or we added it).
            assert "None" in str(public[field.name]), field.name
    assert isinstance(cls.fields_set, property)


@pytest.mark.spec
@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
def test_a_model_made_without_its_optional_fields_reads_none(cls: type[ModelBase]) -> None:
    required = {name: object() for name in cls._meibel_required}
    defaults = {f.name: f.default for f in attrs.fields(cls) if f.default is not attrs.NOTHING}
    model = cls(**{name: value for name, value in required.items() if name not in defaults})
    for name in cls._meibel_optional:
        value = getattr(model, name)
        assert value is None or value == defaults[name], name
        assert meibel.is_set(model, name) is (value is not None)


# Spec-valid JSON for a model, from the spec as the generator read it.


def _strategy(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return _strategy(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]], depth + 1)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        return st.one_of(*(_strategy(alternative, depth) for alternative in alternatives))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "string":
        if schema.get("format") == "date-time":
            # Python's own ISO form: the one that reads back to the same text.
            return st.datetimes(timezones=st.just(datetime.UTC)).map(datetime.datetime.isoformat)
        if schema.get("format") == "uuid":
            return st.uuids().map(str)
        return st.text(max_size=8)
    if kind == "integer":
        return st.integers(-(2**40), 2**40)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = _strategy(schema.get("items", {}), depth + 1)
        return st.lists(items, max_size=0 if depth > 4 else 2)
    properties = schema.get("properties")
    if kind == "object" and properties:
        fields = {name: _strategy(sub, depth + 1) for name, sub in properties.items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: value for name, value in fields.items() if name in required},
            optional={name: value for name, value in fields.items() if name not in required},
        )
    values = schema.get("additionalProperties")
    if isinstance(values, dict) and values:  # a map: every value follows its schema
        return st.dictionaries(
            st.text(min_size=1, max_size=5), _strategy(values, depth + 1), max_size=2
        )
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
    return st.dictionaries(st.text(min_size=1, max_size=5), scalars, max_size=2)


# Nested models, lists of models, date-times, enums, a model-or-string union, nullable fields.
ROUND_TRIPPED = [
    "IngestStatusResponse",
    "AgentDetailResponse",
    "ChatMessageResponse",
    "DatasourceListResponse",
    "ProcessDocumentResponse",
    "MetadataField",
    "UpdateDatasourceRequest",
    "CreateAgentDefinitionRequest",
]


@pytest.mark.parametrize("name", ROUND_TRIPPED)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_to_dict_gives_back_what_from_dict_read(name: str, data: st.DataObject) -> None:
    cls = getattr(generated_models, name)
    received = data.draw(_strategy(SCHEMAS[name]))

    model = cls.from_dict(received)

    assert model.to_dict() == received
    assert len(model.fields_set) == len(received)  # one field for each key, null or not
    assert cls.from_dict(json.loads(json.dumps(model.to_dict()))) == model
