"""openapi/vendor-names.json `cli`: the vendor CLI's command names, checked by `make regen` (a
bad entry refused in one line with its JSON pointer) and carried into plans.json as cli_name."""

from __future__ import annotations

import pytest

from meibel._cli._operations import plans_table, spec_document
from scripts.plan import VendorNamesError, check_vendor_names, plans, vendor_names


def test_the_committed_names_are_good_and_in_plans_json() -> None:
    assert check_vendor_names(spec_document(), vendor_names()) == []
    # regen lets a spec bump drop an operation that has a name; here it must go from the file.
    operations = {
        op["operationId"] for item in spec_document()["paths"].values() for op in item.values()
    }
    assert set(vendor_names()["cli"]) <= operations
    table = plans_table()
    assert table["listAgents"]["cli_name"] == "list"
    assert table["createSession"]["cli_name"] is None  # the method's name: create-session
    assert {p.operation_id: p.cli_name for p in plans(spec_document())} == {
        op: plan["cli_name"] for op, plan in table.items()
    }


@pytest.mark.parametrize(
    ("cli", "problem"),
    [
        (
            {"getAgent": "Get Agent"},
            "/paths/~1agents~1{agent_id}/get: openapi/vendor-names.json "
            "cli name 'Get Agent' is not kebab-case",
        ),
        (
            {"getAgent": "list"},
            "openapi/vendor-names.json cli name 'list' is ",  # listAgents' already
        ),
        ({"getAgent": "update-agent"}, "cli name 'update-agent' is updateAgent's in agents"),
    ],
)
def test_a_bad_entry_is_refused_in_one_line(cli: dict[str, str], problem: str) -> None:
    vendor = {**vendor_names(), "cli": {**vendor_names()["cli"], **cli}}
    (line,) = check_vendor_names(spec_document(), vendor)
    assert problem in line
    with pytest.raises(VendorNamesError):
        plans(spec_document(), vendor)
