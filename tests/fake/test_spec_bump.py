"""A spec bump needs no fake code: new operations are answered from the spec, with state.

The fake is built on the shipped spec plus three new tags of operations (tests/fake/
synthetic_spec.py) and served on 127.0.0.1; everything goes over real HTTP.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from openapi_spec_validator import validate
from synthetic_spec import NEW_OPERATIONS, bumped_spec

from meibel.sse import iter_sse
from meibel.testing import FakeMeibel, FakeSchemaError
from meibel.testing._schema import Spec

HEADERS = {"Meibel-API-Key": "k"}


@pytest.fixture
def fake() -> FakeMeibel:
    return FakeMeibel(_spec=bumped_spec())


@pytest.fixture
def http(fake: FakeMeibel) -> Iterator[httpx2.Client]:
    with fake.serve() as base_url, httpx2.Client(base_url=base_url, headers=HEADERS) as client:
        yield client


def ok(answer: httpx2.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def test_the_synthetic_spec_is_valid_openapi() -> None:
    validate(bumped_spec())


def test_every_new_operation_is_answered_generically(fake: FakeMeibel) -> None:
    assert fake.unimplemented() == []
    assert fake.generic_operations() == NEW_OPERATIONS


def test_batch_definitions_create_get_list_update_delete(http: httpx2.Client) -> None:
    sent = {"name": "Nightly", "catalog_urn": "urn:batch:nightly", "concurrency": 4}
    created = ok(http.post("/batch-definitions", json=sent))
    definition_id = created["id"]
    assert created["name"] == "Nightly"
    assert created["message"]
    # A GET after the create answers what was created, and the defaults the fake chose.
    got = ok(http.get(f"/batch-definitions/id/{definition_id}"))
    assert {k: got[k] for k in sent} == sent
    assert got["id"] == definition_id
    assert got["version"] >= 1
    assert got["created_at"]
    urn = ok(
        http.get("/batch-definitions/catalog-urn", params={"catalog_urn": "urn:batch:nightly"})
    )
    assert urn == got
    missing_urn = http.get("/batch-definitions/catalog-urn", params={"catalog_urn": "urn:none"})
    assert missing_urn.status_code == 404
    assert "urn:none" in missing_urn.json()["detail"]

    ids = [definition_id] + [
        ok(http.post("/batch-definitions", json={"name": f"Batch {n}"}))["id"] for n in range(4)
    ]
    assert len(set(ids)) == 5
    assert all(i.startswith("batch_definition_") for i in ids)
    # Paginated by offset, two at a time (the limit's default in the spec).
    seen, offset = [], 0
    while True:
        page = ok(http.get("/batch-definitions", params={"offset": offset}))
        assert page["total"] == 5
        assert len(page["data"]) <= 2
        seen += [row["id"] for row in page["data"]]
        offset += len(page["data"])
        if offset >= page["total"]:
            break
    assert seen == ids
    assert [r["id"] for r in ok(http.get("/batch-definitions?limit=10"))["data"]] == ids

    updated = ok(
        http.put(f"/batch-definitions/id/{definition_id}", json={"description": "Every night"})
    )
    assert updated["description"] == "Every night"
    assert updated["name"] == "Nightly"
    assert ok(http.get(f"/batch-definitions/id/{definition_id}")) == updated

    deleted = http.delete(f"/batch-definitions/id/{definition_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = http.get(f"/batch-definitions/id/{definition_id}")
    assert gone.status_code == 404
    assert gone.json() == {"detail": f"Batch definition {definition_id} not found"}
    assert http.put(f"/batch-definitions/id/{definition_id}", json={}).status_code == 404
    assert http.delete(f"/batch-definitions/id/{definition_id}").status_code == 404
    assert ok(http.get("/batch-definitions?limit=10"))["total"] == 4


def test_a_body_that_breaks_the_request_schema_is_422(http: httpx2.Client) -> None:
    for body in ({}, {"name": ""}, {"name": "x", "concurrency": 0}):
        answer = http.post("/batch-definitions", json=body)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"][0] == "body"
    assert ok(http.get("/batch-definitions"))["total"] == 0  # nothing was kept


def test_actions_answer_for_existing_items_and_404_otherwise(http: httpx2.Client) -> None:
    definition_id = ok(http.post("/batch-definitions", json={"name": "N"}))["id"]
    run = ok(http.post(f"/batch-definitions/id/{definition_id}/execute"))
    assert run["definition_id"] == definition_id
    assert run["status"] == "pending"
    # The execution it answers with exists, and an action named like a status sets it.
    execution = ok(http.get(f"/batch-executions/id/{run['execution_id']}"))
    assert (execution["definition_id"], execution["status"]) == (definition_id, "pending")
    cancelled = ok(http.post(f"/batch-executions/id/{run['execution_id']}/cancel"))
    assert cancelled["status"] == "cancelled"
    assert ok(http.get(f"/batch-executions/id/{run['execution_id']}"))["status"] == "cancelled"
    versions = ok(http.get(f"/batch-definitions/id/{definition_id}/versions"))
    assert [v["id"] for v in versions["data"]] == [definition_id]
    for path in ("/batch-definitions/id/nope/execute", "/batch-executions/id/nope/cancel"):
        missing = http.post(path)
        assert missing.status_code == 404
        assert "nope" in missing.json()["detail"]


def test_cursor_pages_filters_and_201_creates(http: httpx2.Client) -> None:
    made = [
        ok(
            http.post(
                "/batch-executions",
                json={"definition_id": "d", "input_datasource_id": f"ds_{n % 2}"},
            ),
            201,
        )
        for n in range(5)
    ]
    ids = [m["execution_id"] for m in made]
    assert all(uuid.UUID(i).version == 4 for i in ids)  # the schema's id format
    seen, cursor, pages = [], None, 0
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = ok(http.get("/batch-executions", params=params))
        seen += [row["execution_id"] for row in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        assert page["has_next"] is (cursor is not None)
        if cursor is None:
            break
    assert (seen, pages) == (ids, 3)
    odd = ok(http.get("/batch-executions", params={"input_datasource_id": "ds_1", "limit": 9}))
    assert [row["execution_id"] for row in odd["items"]] == ids[1::2]
    cancelled = ok(http.post(f"/batch-executions/id/{ids[0]}/cancel"))
    assert cancelled["execution_id"] == ids[0]
    assert cancelled["definition_id"] == "d"


def test_patch_merges_and_delete_answers_its_body(http: httpx2.Client) -> None:
    sent = {"name": "Strict", "max_retries": 1, "rules": {"timeout_s": 30, "on_error": "stop"}}
    policy = ok(http.post("/execution-policies", json=sent))
    policy_id = policy["policy_id"]
    assert {k: policy[k] for k in sent} == sent
    assert "@" in policy["owner_email"]
    patched = ok(
        http.patch(f"/execution-policies/{policy_id}", json={"rules": {"on_error": "retry"}})
    )
    assert patched["rules"] == {"timeout_s": 30, "on_error": "retry"}
    assert patched["name"] == "Strict"
    assert patched["max_retries"] == 1
    deleted = ok(http.delete(f"/execution-policies/{policy_id}"))
    assert deleted["id"] == policy_id
    assert http.get(f"/execution-policies/{policy_id}").status_code == 404


def test_continuation_tokens_page_through_everything(http: httpx2.Client) -> None:
    ids = [
        ok(http.post("/execution-policies", json={"name": f"p{n}"}))["policy_id"] for n in range(3)
    ]
    seen, token = [], None
    while True:
        page = ok(
            http.get("/execution-policies", params={"continuation_token": token} if token else {})
        )
        seen += [row["policy_id"] for row in page["items"]]
        token = page["continuation_token"]
        if token is None:
            break
    assert seen == ids


def test_nested_resources_live_under_their_parent(fake: FakeMeibel, http: httpx2.Client) -> None:
    # Under a generic parent.
    first = ok(http.post("/execution-policies", json={"name": "a"}))["policy_id"]
    second = ok(http.post("/execution-policies", json={"name": "b"}))["policy_id"]
    rule = ok(http.post(f"/execution-policies/{first}/rules", json={"expression": "x > 1"}))
    assert rule["policy_id"] == first
    assert ok(http.get(f"/execution-policies/{first}/rules")) == [rule]
    assert ok(http.get(f"/execution-policies/{second}/rules")) == []
    assert ok(http.get(f"/execution-policies/{first}/rules/{rule['rule_id']}")) == rule
    # The rule is not under the other policy, and no rule is under an unknown one.
    assert http.get(f"/execution-policies/{second}/rules/{rule['rule_id']}").status_code == 404
    unknown = http.post("/execution-policies/nope/rules", json={"expression": "y"})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Execution policy nope not found"}
    # Deleting the parent deletes what lives under it.
    ok(http.delete(f"/execution-policies/{first}"))
    assert fake.records("rules") == {}

    # Under a hand-written parent (a datasource).
    datasource = ok(http.post("/datasources", json={"name": "Reports"}))["id"]
    tag = ok(http.post(f"/datasources/{datasource}/tags", json={"label": "finance"}), 201)
    assert tag["datasource_id"] == datasource
    assert tag["label"] == "finance"
    assert ok(http.get(f"/datasources/{datasource}/tags")) == [tag]
    assert ok(http.get(f"/datasources/{datasource}/tags/{tag['tag_id']}")) == tag
    missing = http.post("/datasources/ds_none/tags", json={"label": "x"})
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "Datasource ds_none not found"},
    )
    assert http.post(f"/datasources/{datasource}/tags", json={"label": "Bad1"}).status_code == 422
    assert http.delete(f"/datasources/{datasource}/tags/{tag['tag_id']}").status_code == 204
    assert ok(http.get(f"/datasources/{datasource}/tags")) == []


def test_a_stream_sends_valid_events_and_ends(fake: FakeMeibel, http: httpx2.Client) -> None:
    execution = ok(http.post("/batch-executions", json={"definition_id": "d"}), 201)
    url = f"/batch-executions/id/{execution['execution_id']}/realtime-progress"
    with http.stream("GET", url) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = [(e.event, json.loads(e.data)) for e in iter_sse(answer.iter_bytes())]
    assert [name for name, _ in events] == ["connected", "progress", "completed"]
    for name, data in events:
        fake_spec = Spec(bumped_spec())
        fake_spec.check_event("streamBatchExecutionProgress", name, data)
        assert data["execution_id"] == execution["execution_id"]
    assert http.get("/batch-executions/id/nope/realtime-progress").status_code == 404


def test_seeding_generic_resources(fake: FakeMeibel, http: httpx2.Client) -> None:
    record = fake.seed("batch-definitions", "def_1", name="Seeded", concurrency=8)
    assert ok(http.get("/batch-definitions/id/def_1")) == record
    assert record["name"] == "Seeded"
    assert record["id"] == "def_1"
    # By its item path or its id parameter too; ids the fake makes later never collide.
    fake.seed("/execution-policies/{policy_id}", "pol_1", name="P")
    fake.seed("rule_id", "rule_1", policy_id="pol_1", expression="a")
    assert ok(http.get("/execution-policies/pol_1/rules/rule_1"))["expression"] == "a"
    fake.seed("tags", "tag_1", datasource_id=fake.seed("datasources", "ds_1")["id"], label="x")
    assert ok(http.get("/datasources/ds_1/tags/tag_1"))["label"] == "x"
    assert set(fake.records("batch_definitions")) == {"def_1"}
    assert fake.seedable()["batch-definitions"] == "/batch-definitions/id/{definition_id}"

    with pytest.raises(ValueError, match="already in the fake"):
        fake.seed("batch-definitions", "def_1", name="Again")
    with pytest.raises(FakeSchemaError, match=r"no field 'nmae' \(did you mean name\?\)"):
        fake.seed("batch-definitions", "def_2", nmae="x")
    with pytest.raises(FakeSchemaError, match="concurrency"):
        fake.seed("batch-definitions", "def_3", name="x", concurrency=0)
    with pytest.raises(ValueError, match="pass policy_id="):
        fake.seed("rules", "rule_2", expression="a")
    with pytest.raises(ValueError, match="Execution policy nope not found"):
        fake.seed("rules", "rule_2", policy_id="nope", expression="a")
    with pytest.raises(ValueError, match="Datasource ds_none not found"):
        fake.seed("tags", "tag_2", datasource_id="ds_none", label="x")
    with pytest.raises(ValueError, match=r"no resource 'batch-definition' \(did you mean"):
        fake.seed("batch-definition", "x")
    with pytest.raises(TypeError, match="read-only"):
        fake.records("batch-definitions")["x"] = {}  # type: ignore[index]
