"""The migration guide's recipes for the vendor methods the spec lacks run as written.

Each recipe is read from the guide as `make regen` writes it for a spec without the 20 methods
(the committed docs/migrating-from-meibel-2.md has exactly those its spec lacks), run with the
vendor method's parameters bound to values against a recording server on 127.0.0.1, and the
request it sends is checked against the vendor SDK's capture: HTTP method, path, query and body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from wire import RecordingServer, sse

from meibel import MeibelClient
from scripts.migration_guide import GUIDE, capture, render

COMMITTED = json.loads(
    (GUIDE.parent.parent / "generated" / "meibel_api_v2" / "openapi.json").read_text("utf-8")
)
# The committed spec without the batch and execution-policy paths (which it lacks today), so the
# recipes are tested after a bump that adds them too (tests/regen/test_bump_drill.py).
SPEC = {
    **COMMITTED,
    "paths": {
        path: item
        for path, item in COMMITTED["paths"].items()
        if not path.startswith(("/batch-", "/execution-policies"))
    },
}
ROW = re.compile(r"^\| `client\.([\w.]+)\([^`]*\)` \| `(client\.[a-z]+\(.*\))` \| .+ \|$")


def _lacking(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The vendor methods whose HTTP method and path `spec` has no operation for."""
    routes = {
        (method.upper(), re.sub(r"{[^}]+}", "{}", path))
        for path, item in spec["paths"].items()
        for method in item
    }
    return [
        method
        for method in capture()["methods"]
        if (method["http_method"], re.sub(r"{[^}]+}", "{}", method["path"])) not in routes
    ]


def _recipes(page: str) -> dict[str, str]:
    """Vendor call (`batches.create`) -> the guide's recipe for it."""
    return {match[1]: match[2] for line in page.splitlines() if (match := ROW.match(line))}


LACKING = _lacking(SPEC)
RECIPES = _recipes(render(SPEC))


def _value(parameter: dict[str, Any]) -> Any:
    """A value for a vendor parameter: one that quoting would leave alone, distinct per name."""
    if parameter["name"] == "body":
        return {"name": "from-the-recipe", "items": [1, 2], "nested": {"on": True}}
    if "int" in parameter["annotation"]:
        return len(parameter["name"]) + 3
    return f"{parameter['name']}-7"


@pytest.fixture(scope="module")
def client(module_server: RecordingServer) -> Iterator[MeibelClient]:
    with MeibelClient(api_key="sk-recipes", base_url=module_server.url + "/v2") as client:
        yield client


def test_every_method_the_spec_lacks_has_a_recipe() -> None:
    assert len(LACKING) == 20
    assert sorted(RECIPES) == sorted(method["call"] for method in LACKING)


def test_the_committed_guide_has_a_recipe_for_each_method_its_spec_lacks() -> None:
    committed = _recipes(GUIDE.read_text(encoding="utf-8"))
    assert committed == {method["call"]: RECIPES[method["call"]] for method in _lacking(COMMITTED)}


@pytest.mark.parametrize("method", LACKING, ids=lambda method: method["call"])
def test_the_recipe_sends_what_the_vendor_sdk_sent(
    method: dict[str, Any], server: RecordingServer, client: MeibelClient
) -> None:
    values = {p["name"]: _value(p) for p in method["parameters"]}
    recipe = RECIPES[method["call"]]
    streams = "stream=True" in recipe
    if streams:
        server.stream([sse("progress", {"processed": 1}), sse("progress", {"processed": 2})])
    elif method["returns"] == "None":
        server.respond(204, b"")
    elif method["returns"] == "str":
        server.respond(200, b"text", **{"Content-Type": "text/plain"})
    else:
        server.respond(200, {"id": "answer-1"})

    result = eval(recipe, {"client": client, **values})  # the guide's code, as written

    if streams:
        with result as stream:
            assert [event.data for event in stream] == [{"processed": 1}, {"processed": 2}]
    elif method["returns"] == "None":
        assert result is None
    elif method["returns"] == "str":
        assert result == "text"
    else:
        assert result == {"id": "answer-1"}
    [sent] = server.requests
    in_path = re.findall(r"{([^}]+)}", method["path"])
    path = method["path"]
    for name in in_path:
        path = path.replace(f"{{{name}}}", values[name])
    assert sent.method == method["http_method"]
    assert sent.path == "/v2" + path
    query = {name: str(v) for name, v in values.items() if name not in (*in_path, "body")}
    assert sent.query == query
    assert sent.headers["Meibel-API-Key"] == "sk-recipes"
    if "body" in values:
        assert json.loads(sent.body) == values["body"]
    else:
        assert sent.body == b""


def test_a_query_parameter_left_none_is_not_sent(
    server: RecordingServer, client: MeibelClient
) -> None:
    offset, limit = None, 10
    eval(RECIPES["batches.list"], {"client": client, "offset": offset, "limit": limit})
    assert server.requests[0].target == "/v2/batch-definitions?limit=10"
