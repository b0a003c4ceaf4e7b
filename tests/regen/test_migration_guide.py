"""docs/migrating-from-meibel-2.md: generated, complete, and every call it names exists.

Also the vendor's exception names: importable from `meibel` where they mean what ours do, and
raised for what they say.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import meibel
from meibel import AsyncMeibelClient, MeibelClient
from meibel.testing import FakeMeibel
from scripts.migration_guide import CAPTURE, EXCEPTIONS, GUIDE, UNSUPPORTED, capture, render

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "generated" / "meibel_api_v2" / "openapi.json").read_text("utf-8"))
VENDOR = capture()
ROW = re.compile(
    r"^\| `client\.([\w.]+)\([^`]*\)` \| (?:`client\.([\w.]+)\([^`]*\)`|none) \| (.+) \|$"
)


def _rows() -> list[tuple[str, str | None, str]]:
    text = GUIDE.read_text(encoding="utf-8")
    return [
        (match[1], match[2], match[3])
        for line in text.splitlines()
        if (match := ROW.match(line)) is not None
    ]


def _resolve(client: object, path: str) -> Any:
    value = client
    for part in path.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.spec
def test_the_committed_guide_is_the_scripts_output() -> None:
    assert GUIDE.read_text(encoding="utf-8") == render(SPEC), (
        "docs/migrating-from-meibel-2.md is stale: run `make regen`"
    )


def test_the_capture_has_every_vendor_method_with_its_request() -> None:
    methods = VENDOR["methods"]
    assert (VENDOR["package"], VENDOR["version"], len(methods)) == ("meibel", "2.0.7", 83)
    for method in methods:
        assert method["http_method"] in {"GET", "POST", "PUT", "DELETE"}, method["call"]
        assert method["path"].startswith("/"), method["call"]
    assert CAPTURE.name == "vendor-sdk-2.0.7.json"


@pytest.mark.spec
def test_the_table_has_every_vendor_method_once() -> None:
    rows = _rows()
    assert [vendor for vendor, _, _ in rows] == [m["call"] for m in VENDOR["methods"]]
    assert len(rows) == 83


def test_the_unsupported_are_exactly_those_the_spec_lacks() -> None:
    routes = {
        (method.upper(), re.sub(r"{[^}]+}", "{}", path))
        for path, item in SPEC["paths"].items()
        for method in item
    }
    by_call = {m["call"]: m for m in VENDOR["methods"]}
    unsupported = []
    for vendor, ours, changes in _rows():
        method = by_call[vendor]
        route = (method["http_method"], re.sub(r"{[^}]+}", "{}", method["path"]))
        recipe = ours is not None and "." not in ours  # client.get(...), the escape hatch
        assert recipe == (route not in routes), vendor
        if recipe:
            assert "are not in the v2 spec: through the escape hatch" in changes, vendor
            assert method["path"].startswith(tuple(UNSUPPORTED)), vendor
            unsupported.append(vendor)
    # Today 20 (batches, execution_policies); a bump adding them makes it 0 (tests/regen/).
    assert len(unsupported) == sum(
        (m["http_method"], re.sub(r"{[^}]+}", "{}", m["path"])) not in routes
        for m in VENDOR["methods"]
    )


@pytest.mark.spec
def test_every_call_it_names_exists_on_both_clients() -> None:
    sync_client = MeibelClient(api_key="k")
    async_client = AsyncMeibelClient(api_key="k")
    for vendor, ours, changes in _rows():
        assert ours is not None, f"{vendor} has no way here"
        if "." not in ours:  # a recipe through the escape hatch (tests/regen/ runs them)
            assert callable(_resolve(sync_client, ours)), ours
            assert callable(_resolve(async_client, ours)), ours
            continue
        # Ours, and the vendor's own name where the guide says it works here too.
        names = [ours, vendor] if changes.startswith(("same name", "their name works")) else [ours]
        assert changes.startswith(("same name", "their name works", "renamed")), vendor
        for path in names:
            assert callable(_resolve(sync_client, path)), path
            assert callable(_resolve(async_client, path)), path
        if changes.startswith("renamed"):
            with pytest.raises(AttributeError):
                _resolve(sync_client, vendor)
    sync_client.close()


def test_each_vendor_exception_is_ours_or_said_not_to_be() -> None:
    assert set(VENDOR["exceptions"]) == set(EXCEPTIONS)
    for name, (ours, _) in EXCEPTIONS.items():
        if ours is None:
            assert name not in meibel.__all__
            with pytest.raises(AttributeError):
                getattr(meibel, name)
        else:
            assert name in meibel.__all__
            assert getattr(meibel, name) is getattr(meibel, ours)


@pytest.mark.parametrize(
    ("status", "vendor_name"),
    [
        (401, "AuthenticationError"),
        (403, "AuthorizationError"),
        (404, "NotFoundError"),
        (429, "RateLimitError"),
        (500, "ServerError"),
        (503, "ServerError"),
        (409, "ApiError"),
        (400, "ApiError"),
        (422, "ApiError"),
    ],
)
def test_code_catching_the_vendor_names_catches_our_errors(status: int, vendor_name: str) -> None:
    fake = FakeMeibel()
    client = fake.client(max_retries=0)
    fake.fail_next(status, "no")
    with pytest.raises(getattr(meibel, vendor_name)) as caught:
        client.agents.get_agent("agent_123")
    assert caught.value.status_code == status
    assert caught.value.body == {"detail": "no"}  # their `response_body`
