"""The API change that regeneration prints, read from the generated code (scripts/api_changes.py).

Each rule is checked on two tiny `meibel_api_v2` packages written into tmp_path: a `things`
namespace and three models, with a spec that says which model is sent and which is received.
The last test bumps the real spec in a copy of the repository and regenerates.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from project_copy import bump, operation, run

from scripts.api_changes import compare, load, report, semver_line, write_changelog

ROOT = Path(__file__).resolve().parents[2]

RESOURCE = """\
from __future__ import annotations

from ...types import UNSET, Unset
from .. import AsyncResource, SyncResource


class Things(SyncResource):
    @property
    def with_raw_response(self) -> ThingsWithRawResponse:
        return ThingsWithRawResponse(self)

    def get_thing(self, thing_id: str, *, timeout: Timeout = NOT_GIVEN) -> Thing: ...

    def list_things(
        self, *, limit: int | Unset = 20, extra_query: Query | None = None
    ) -> list[Thing]: ...

    def create_thing(self, *, body: ThingRequest, extra_body: Body | None = None) -> Thing: ...

    def delete_thing(self, thing_id: str) -> None: ...


class AsyncThings(AsyncResource):
    async def get_thing(self, thing_id: str) -> Thing: ...


class ThingsWithRawResponse:
    def __init__(self, resource: Things) -> None:
        self.get_thing = resource.get_thing
"""

ENDPOINT = """\
def _get_kwargs(thing_id: str) -> dict: ...

def sync_detailed(thing_id: str, *, client: object) -> object: ...

def sync(thing_id: str, *, client: object) -> object: ...
"""

_ATTRS = """\
from __future__ import annotations

from typing import Any

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset
"""

MODELS = {
    "thing": _ATTRS
    + """

@_attrs_define
class Thing:
    id: str
    name: str
    color: Color | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]: ...
""",
    "thing_request": _ATTRS
    + """

@_attrs_define
class ThingRequest:
    name: str
    tag: Tag
    note: str | Unset = UNSET
""",
    "tag": _ATTRS
    + """

@_attrs_define
class Tag:
    label: str
    weight: int | Unset = UNSET
""",
    "color": """\
from enum import StrEnum


class Color(StrEnum):
    BLUE = "blue"
    GREEN = "green"
    RED = "red"

    def __str__(self) -> str:
        return str(self.value)
""",
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


# Thing is received, ThingRequest sent; Tag is reached from both (through a $ref chain from Thing).
SPEC = {
    "info": {"version": "1.0.0"},
    "paths": {
        "/things": {
            "post": {
                "operationId": "createThing",
                "requestBody": _json(_ref("ThingRequest")),
                "responses": {"200": _json(_ref("Thing"))},
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {"properties": {"color": _ref("Color"), "owner": _ref("Owner")}},
            "Owner": {"properties": {"tags": {"items": _ref("Tag")}}},
            "ThingRequest": {"properties": {"tag": _ref("Tag")}},
            "Tag": {"properties": {}},
            "Color": {"enum": ["blue", "green", "red"]},
        }
    },
}


def _package(root: Path, resource: str, models: dict[str, str]) -> Path:
    package = root / "meibel_api_v2"
    (package / "api" / "things").mkdir(parents=True)
    (package / "models").mkdir()
    (package / "__init__.py").write_text("")
    (package / "types.py").write_text("class Unset: ...\n\nUNSET = Unset()\n")
    (package / "api" / "__init__.py").write_text(
        "class SyncResource: ...\n\n\nclass AsyncResource: ...\n"
    )
    (package / "api" / "things" / "__init__.py").write_text(resource)
    (package / "api" / "things" / "get_thing.py").write_text(ENDPOINT)
    (package / "models" / "__init__.py").write_text("")
    for module, source in models.items():
        (package / "models" / f"{module}.py").write_text(source)
    (package / "openapi.json").write_text(json.dumps(SPEC))
    return root


def _changes(
    tmp_path: Path, resource: str = RESOURCE, models: dict[str, str] | None = None
) -> list[str]:
    """The report from the fixture package to one with `resource` and `models` changed."""
    old = _package(tmp_path / "old", RESOURCE, MODELS)
    new = _package(tmp_path / "new", resource, {**MODELS, **(models or {})})
    return report(compare(load(old), load(new)))


def _model(module: str, old: str, new: str) -> dict[str, str]:
    assert old in MODELS[module]
    return {module: MODELS[module].replace(old, new)}


def test_same_surface_and_what_is_not_surface_report_nothing(tmp_path: Path) -> None:
    resource = RESOURCE.replace(
        "thing_id: str, *, timeout: Timeout = NOT_GIVEN)",
        "thing_id: str, *, timeout: Timeout = NOT_GIVEN, deadline: Deadline = NOT_GIVEN)",
    ).replace(
        "async def get_thing(self, thing_id: str)", "async def get_thing(self, thing_id: int)"
    )
    resource += "\n    def list_things(self) -> None: ...\n"  # on the raw-response class
    new = _package(tmp_path / "new", resource, MODELS)
    (new / "meibel_api_v2/api/things/get_thing.py").write_text(ENDPOINT.replace("str", "int"))

    assert report(compare(load(_package(tmp_path / "old", RESOURCE, MODELS)), load(new))) == []


def test_removed_method_is_breaking(tmp_path: Path) -> None:
    resource = RESOURCE.replace("    def delete_thing(self, thing_id: str) -> None: ...\n", "")

    assert _changes(tmp_path, resource) == [
        "[BREAKING] things.delete_thing: removed",
        "semver: major (breaking changes above)",
    ]


def test_renamed_method_is_one_likely_renamed_line(tmp_path: Path) -> None:
    resource = RESOURCE.replace(
        "def get_thing(self, thing_id: str, *", "def fetch_thing(self, thing_id: str, *"
    )

    assert _changes(tmp_path, resource) == [
        "[BREAKING] likely renamed things.get_thing -> things.fetch_thing",
        "semver: major (breaking changes above)",
    ]


def test_new_required_parameter_is_breaking(tmp_path: Path) -> None:
    resource = RESOURCE.replace(
        "thing_id: str, *, timeout", "thing_id: str, *, version: str, timeout"
    ).replace("limit: int | Unset = 20,", "limit: int | Unset = 20, offset: int | Unset = 0,")

    assert _changes(tmp_path, resource) == [
        "[BREAKING] things.get_thing: new required parameter version: str",
        "+ things.list_things: new parameter offset: int | Unset = 0",
        "semver: major (breaking changes above)",
    ]


def test_retyped_parameter_is_breaking_unless_widened(tmp_path: Path) -> None:
    retyped = RESOURCE.replace("limit: int | Unset = 20", "limit: str | Unset = 20")
    widened = RESOURCE.replace("limit: int | Unset = 20", "limit: int | None | Unset = 20")

    assert _changes(tmp_path / "retyped", retyped)[0] == (
        "[BREAKING] things.list_things: parameter limit: str | Unset = 20 (was int | Unset = 20)"
    )
    assert _changes(tmp_path / "widened", widened) == [
        "~ things.list_things: parameter limit: int | None | Unset = 20 (was int | Unset = 20)",
        "semver: minor (additions, nothing breaking)",
    ]


def test_changed_return_type_is_breaking(tmp_path: Path) -> None:
    resource = RESOURCE.replace("NOT_GIVEN) -> Thing:", "NOT_GIVEN) -> ThingV2:")

    assert _changes(tmp_path, resource)[0] == (
        "[BREAKING] things.get_thing: returns ThingV2 (was Thing)"
    )


def test_removed_or_retyped_response_field_is_breaking(tmp_path: Path) -> None:
    models = _model("thing", "    id: str\n    name: str\n", "    id: int\n")

    assert _changes(tmp_path, models=models) == [
        "[BREAKING] Thing.id: now int (was str)",
        "[BREAKING] Thing.name: field removed",
        "semver: major (breaking changes above)",
    ]


def test_request_field_made_optional_is_not_breaking_and_made_required_is(tmp_path: Path) -> None:
    optional = _model("thing_request", "    name: str\n", "    name: str | Unset = UNSET\n")
    required = _model("thing_request", "    note: str | Unset = UNSET\n", "    note: str\n")

    assert _changes(tmp_path / "optional", models=optional) == [
        "~ field ThingRequest.name: now str | Unset = UNSET (was str)",
        "semver: minor (additions, nothing breaking)",
    ]
    assert _changes(tmp_path / "required", models=required)[0] == (
        "[BREAKING] ThingRequest.note: now str (was str | Unset = UNSET)"
    )


def test_new_optional_field_is_not_breaking(tmp_path: Path) -> None:
    optional = _model("thing", "    color:", "    stats: int | Unset = UNSET\n    color:")
    required = _model("thing_request", "    tag: Tag\n", "    tag: Tag\n    owner: str\n")

    assert _changes(tmp_path / "optional", models=optional) == [
        "+ field Thing.stats: int | Unset",
        "semver: minor (additions, nothing breaking)",
    ]
    assert _changes(tmp_path / "required", models=required)[0] == (
        "[BREAKING] ThingRequest.owner: new required field: str"
    )


def test_model_sent_and_received_is_strict_both_ways(tmp_path: Path) -> None:
    # Tag is reached from a request body and, through Thing -> Owner -> Tag, from a response.
    old = load(_package(tmp_path / "roles", RESOURCE, MODELS))
    assert old.roles["Tag"] == {"request", "response"}
    assert old.roles["Thing"] == {"response"}
    assert old.roles["ThingRequest"] == {"request"}
    models = _model("tag", "    label: str\n", "    label: str | Unset = UNSET\n    rank: int\n")

    assert _changes(tmp_path, models=models) == [
        "[BREAKING] Tag.label: now str | Unset = UNSET (was str)",
        "[BREAKING] Tag.rank: new required field: int",
        "semver: major (breaking changes above)",
    ]


def test_enum_reordered_is_no_change(tmp_path: Path) -> None:
    reordered = MODELS["color"].replace(
        '    BLUE = "blue"\n    GREEN = "green"\n', '    GREEN = "green"\n    BLUE = "blue"\n'
    )
    assert reordered != MODELS["color"]

    assert _changes(tmp_path, models={"color": reordered}) == []


def test_removed_enum_value_is_breaking(tmp_path: Path) -> None:
    models = _model("color", '    GREEN = "green"\n', '    PINK = "pink"\n')

    assert _changes(tmp_path, models=models) == [
        "[BREAKING] Color.GREEN: enum value 'green' removed",
        "+ enum value Color.PINK = 'pink'",
        "semver: major (breaking changes above)",
    ]


def test_new_operation_and_model_are_minor(tmp_path: Path) -> None:
    resource = RESOURCE.replace(
        "    def delete_thing",
        "    def count_things(self, *, color: Color | Unset = UNSET) -> Count: ...\n\n"
        "    def delete_thing",
    )
    models = {"count": _ATTRS + "\n\n@_attrs_define\nclass Count:\n    total: int\n"}

    assert _changes(tmp_path, resource, models) == [
        "+ things.count_things(*, color: Color | Unset = UNSET) -> Count",
        "+ model Count(total: int)",
        "semver: minor (additions, nothing breaking)",
    ]


def test_semver_line_follows_the_pre_1_0_policy(tmp_path: Path) -> None:
    resource = RESOURCE.replace("    def delete_thing(self, thing_id: str) -> None: ...\n", "")
    changes = compare(
        load(_package(tmp_path / "old", RESOURCE, MODELS)),
        load(_package(tmp_path / "new", resource, MODELS)),
    )

    assert semver_line(changes, "0.1.0") == (
        "semver: major (breaking changes above); before 1.0 that is 0.1.0 -> 0.2.0"
        " (docs/installing.md)"
    )
    assert semver_line(changes, "1.2.0") == "semver: major (breaking changes above)"
    assert semver_line([], "0.1.0").startswith("semver: patch")


CHANGELOG = """\
# Changelog

## [Unreleased]

### Added

- something.

## [0.1.0] - 2026-11-23

### Added

- the first release.
"""


def test_changelog_fragment_goes_under_unreleased_and_is_replaced_not_piled_up(
    tmp_path: Path,
) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(CHANGELOG)

    assert write_changelog(path, "0.7.0", []) is False
    assert path.read_text() == CHANGELOG
    assert write_changelog(path, "0.7.0", ["[BREAKING] a.b: removed", "semver: major (x)"])
    first = path.read_text()
    assert write_changelog(path, "0.7.1", ["+ a.c() -> None", "semver: minor (y)"])

    assert first == CHANGELOG.replace(
        "## [Unreleased]\n\n",
        "## [Unreleased]\n\n### API (regenerated from spec 0.7.0)\n\n"
        "- `[BREAKING] a.b: removed`\n- `semver: major (x)`\n\n",
    )
    assert path.read_text() == CHANGELOG.replace(
        "## [Unreleased]\n\n",
        "## [Unreleased]\n\n### API (regenerated from spec 0.7.1)\n\n"
        "- `+ a.c() -> None`\n- `semver: minor (y)`\n\n",
    )
    assert write_changelog(tmp_path / "missing.md", "0.7.0", ["+ a.c() -> None"]) is False


def test_a_spec_bump_prints_breaking_changes_and_writes_the_changelog(
    project: Path,
) -> None:
    shutil.copy2(ROOT / "CHANGELOG.md", project / "CHANGELOG.md")

    def retype(spec: dict[str, Any]) -> None:
        listing = operation(spec, "listDataElements")
        (limit,) = (p for p in listing["parameters"] if p["name"] == "limit")
        limit["schema"] = {"type": "string", "title": "Limit"}
        # Not getIngestStatus: ingest.wait reads its answer, so regen refuses that change
        # (tests/waiters/test_waiter_refusals.py).
        answer = operation(spec, "triggerIngest")["responses"]["200"]
        answer["content"]["application/json"]["schema"] = {
            "$ref": "#/components/schemas/TriggerIngestResponseV2"
        }
        spec["components"]["schemas"]["TriggerIngestResponseV2"] = {
            "type": "object",
            "required": ["state"],
            "properties": {"state": {"type": "string", "title": "State"}},
        }

    result = bump(project, retype)

    assert result.returncode == 0, result.stdout + result.stderr
    printed = result.stdout.splitlines()
    breaking = [line.strip() for line in printed if line.strip().startswith("[BREAKING]")]
    assert any(
        line.startswith("[BREAKING] data_elements.list_data_elements: ") for line in breaking
    )
    assert any("limit: str" in line for line in breaking)
    assert "[BREAKING] ingest.trigger_ingest: returns TriggerIngestResponseV2" in "\n".join(
        breaking
    )
    assert any(line.strip().startswith("semver: major") for line in printed)
    version = json.loads((project / "openapi" / "api-v2.json").read_text())["info"]["version"]
    changelog = (project / "CHANGELOG.md").read_text()
    unreleased = changelog.split("## [Unreleased]", 1)[1].split("\n## ", 1)[0]
    assert f"### API (regenerated from spec {version})" in unreleased
    assert "semver: major" in unreleased
    assert "ingest.trigger_ingest" in unreleased

    # Regenerating again changes nothing, so the changelog is left as it is.
    again = run([sys.executable, "-m", "scripts.regen"], project)
    assert again.returncode == 0, again.stderr
    assert "API unchanged." in again.stdout
    assert (project / "CHANGELOG.md").read_text() == changelog


SUBNAMESPACE = """

class Parts(SyncResource):
    def list_parts(self) -> list[Thing]: ...
"""
RICHER_SUBNAMESPACE = """

class ThingsParts(Parts):
    def add_part(self, part_id: str, *, thing_id: str) -> Thing: ...
"""


def test_a_sub_namespace_that_becomes_a_subclass_with_more_methods_is_not_breaking(
    tmp_path: Path,
) -> None:
    old_resource = (
        RESOURCE.replace(
            "    def delete_thing(",
            "    @property\n    def parts(self) -> Parts: ...\n\n    def delete_thing(",
        )
        + SUBNAMESPACE
    )
    new_resource = (
        old_resource.replace("def parts(self) -> Parts:", "def parts(self) -> ThingsParts:")
        + RICHER_SUBNAMESPACE
    )
    unrelated = old_resource.replace("def parts(self) -> Parts:", "def parts(self) -> Other:")
    old = load(_package(tmp_path / "old", old_resource, MODELS))

    assert report(compare(old, load(_package(tmp_path / "new", new_resource, MODELS)))) == [
        "~ things.parts: now ThingsParts, a subclass of Parts (every member of Parts is kept)",
        "+ things.parts.add_part(part_id: str, *, thing_id: str) -> Thing",
        "semver: minor (additions, nothing breaking)",
    ]
    assert report(compare(old, load(_package(tmp_path / "other", unrelated, MODELS))))[0] == (
        "[BREAKING] things.parts: things.parts: Other (property)"
        " (was things.parts: Parts (property))"
    )
