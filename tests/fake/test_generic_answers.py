"""The generic answerer answers every operation of the real spec, and its answers match the spec.

`Generic` is the fake with every hand-written handler taken away: each operation of the
shipped spec is then answered from the spec alone, the way a new operation of a bump is.
Each one is called over real HTTP with its path ids seeded first, its required query
parameters and a body made from its request schema; the fake validates every answer it sends
(a mismatch is a 500 here and FakeSchemaError when serve() exits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from synthetic_spec import bumped_spec

from meibel.sse import iter_sse
from meibel.testing import FakeMeibel
from meibel.testing._resources import model
from meibel.testing._schema import Spec, shipped
from meibel.testing._synth import Synth

HEADERS = {"Meibel-API-Key": "k"}


class Generic(FakeMeibel):
    """FakeMeibel without a single hand-written handler."""


for _name in dir(FakeMeibel):
    if _name.startswith("_op_"):
        setattr(Generic, _name, None)

BUMPED = Spec(bumped_spec())
CASES = [("shipped", op) for op in shipped().operations] + [
    ("bumped", op) for op in BUMPED.operations if op not in shipped().operations
]


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, tuple[FakeMeibel, httpx2.Client]]]:
    generic, bumped = Generic(), FakeMeibel(_spec=BUMPED.document)
    with (
        generic.serve() as generic_url,
        bumped.serve() as bumped_url,
        httpx2.Client(base_url=generic_url, headers=HEADERS) as generic_http,
        httpx2.Client(base_url=bumped_url, headers=HEADERS) as bumped_http,
    ):
        yield {"shipped": (generic, generic_http), "bumped": (bumped, bumped_http)}


def test_every_operation_of_the_shipped_spec_is_answered() -> None:
    assert FakeMeibel().unimplemented() == []
    assert Generic().unimplemented() == []
    assert Generic().generic_operations() == sorted(shipped().operations)


@pytest.mark.parametrize(("which", "operation_id"), CASES)
def test_generic_answers_match_the_spec(
    fakes: dict[str, tuple[FakeMeibel, httpx2.Client]], which: str, operation_id: str
) -> None:
    fake, http = fakes[which]
    the_spec = shipped() if which == "shipped" else BUMPED
    route = the_spec.route(operation_id)
    params, record = _seed_path(fake, the_spec, route.template, operation_id)
    operation = the_spec.operations[operation_id]
    synth = Synth(the_spec)
    query = {}
    for index, parameter in enumerate(operation.get("parameters", [])):
        if parameter["in"] == "query" and parameter.get("required"):
            name = parameter["name"]
            pointer = the_spec.pointer(operation_id, "parameters", str(index), "schema")
            query[name] = str(record.get(name, synth.value(pointer, name)))
    body = None
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        pointer = the_spec.pointer(operation_id, "requestBody", "content", "application/json")
        body = synth.value(pointer + "/schema")
    path = re.sub(r"\{([^/]+?)\}", lambda m: params[m.group(1)], route.template)
    request = http.build_request(route.method, path, params=query, json=body)
    answer = http.send(request, stream=True)
    try:
        answer.read()
        assert 200 <= answer.status_code < 300, answer.text
        if "text/event-stream" in answer.headers.get("content-type", ""):
            events = list(iter_sse(iter([answer.content])))
            assert events
            for event in events:
                the_spec.check_event(operation_id, event.event, json.loads(event.data))
        elif answer.content:
            the_spec.check_response(operation_id, answer.json(), answer.status_code)
        else:
            assert answer.status_code == 204 or not the_spec.response_content(
                operation_id, answer.status_code
            )
    finally:
        answer.close()
    assert not fake.schema_errors


def _seed_path(
    fake: FakeMeibel, the_spec: Spec, template: str, operation_id: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """Seed the records every path parameter names (outermost first), or the record a query
    operation looks up; their ids by parameter, and the last record seeded."""
    the_model = model(the_spec)
    params: dict[str, str] = {}
    record: dict[str, Any] = {}
    seeded = set(fake.seedable().values())
    for name in re.findall(r"\{([^/]+?)\}", template):
        value = f"{name}-{operation_id}"
        item = next(
            (c.item for c in the_model.collections.values() if c.parameter == name
             and c.item is not None and template.startswith(c.item)),
            None,
        )  # fmt: skip
        if item in seeded:
            record = fake.seed(str(item), value, **params)
        params[name] = value
    operation = the_model.operations[operation_id]
    if operation.kind == "query" and operation.collection is not None:
        record = fake.seed(operation.collection.name, f"q-{operation_id}", **params)
    return params, record
