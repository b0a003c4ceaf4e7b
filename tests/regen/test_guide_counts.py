"""The migration guide's counts read right whatever the spec lacks: all, one or several of the
vendor's methods (scripts/migration_guide.py, rewritten by every `make regen`)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from scripts.migration_guide import capture, render

ROOT = Path(__file__).resolve().parents[2]
VENDOR = capture()
# The committed spec without the batch and execution-policy paths (which it lacks today), so these
# counts hold after a bump that adds them.
SPEC = json.loads((ROOT / "generated" / "meibel_api_v2" / "openapi.json").read_text("utf-8"))
SPEC["paths"] = {
    path: item
    for path, item in SPEC["paths"].items()
    if not path.startswith(("/batch-", "/execution-policies"))
}
VERSION = SPEC["info"]["version"]


def _coverage(spec: dict[str, Any], vendor: dict[str, Any]) -> str:
    page = render(spec, vendor)
    return " ".join(page.split("## Every method\n", 1)[1].split("\n### ", 1)[0].split())


def test_twenty_missing_in_three_areas() -> None:
    assert _coverage(SPEC, VENDOR).startswith(
        "63 of their 83 methods have an equivalent here, matched by HTTP method and path. "
        "The other 20 call batch definitions, batch executions and execution policies, which "
        f"the v2 spec (version {VERSION}) this SDK is generated from does not have"
    )


def test_one_missing_is_one_and_named_by_its_area() -> None:
    missing = [m for m in VENDOR["methods"] if m["path"].startswith(("/batch-", "/execution-"))]
    kept = [m for m in VENDOR["methods"] if m not in missing[1:]]
    assert missing[0]["path"].startswith("/batch-definitions")
    vendor = {**VENDOR, "methods": kept}
    text = _coverage(SPEC, vendor)
    assert text.startswith(
        "63 of their 64 methods have an equivalent here, matched by HTTP method and path. "
        "The other one calls batch definitions, which"
    )


def test_none_missing_says_each_has_one() -> None:
    vendor = {**VENDOR, "methods": VENDOR["methods"][:1]}
    assert _coverage(SPEC, vendor) == (
        "Their one method has an equivalent here, matched by HTTP method and path in the v2 spec "
        f"(version {VERSION})."
    )
    vendor = {**VENDOR, "methods": VENDOR["methods"][:2]}
    assert _coverage(SPEC, vendor).startswith("Each of their 2 methods has an equivalent here")


def test_a_missing_operation_outside_the_known_areas_is_said_to_be_other() -> None:
    spec = copy.deepcopy(SPEC)
    del spec["paths"]["/agents"]["get"]
    text = _coverage(spec, VENDOR)
    assert text.startswith("62 of their 83 methods have an equivalent here")
    assert (
        "The other 21 call batch definitions, batch executions, execution policies and other"
        in (text)
    )
    assert re.search(r"\b(0 call|1 methods|1 call)\b", text) is None
    assert "other operations, which the v2 spec" in text
