"""The generated prose reads right whatever the counts: the migration guide for captures with 0, 1
or many methods supported, aliased, renamed or lacking from the spec, and the API change report
for 0, 1 or many changes of each kind (scripts/templates/, rendered by scripts/prose.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from scripts import api_changes
from scripts.api_changes import Change
from scripts.migration_guide import GUIDE, capture, render, rows
from scripts.prose import and_join, counted, plural

COMMITTED = json.loads(
    (GUIDE.parent.parent / "generated" / "meibel_api_v2" / "openapi.json").read_text("utf-8")
)
VENDOR = capture()
# The committed spec without the batch and execution-policy paths (which it lacks today), so the
# counts below hold after a bump that adds them (tests/regen/test_bump_drill.py).
SPEC = {
    **COMMITTED,
    "paths": {
        path: item
        for path, item in COMMITTED["paths"].items()
        if not path.startswith(("/batch-", "/execution-policies"))
    },
}
# Each vendor method by what the guide says of it: "same name", "their name works too",
# "renamed", or "recipe" (the spec lacks it).
KINDS: dict[str, list[dict[str, Any]]] = {}
for _method, _row in zip(VENDOR["methods"], rows(SPEC, VENDOR), strict=True):
    _kind = "recipe" if _row.recipe else _row.changes[0]
    KINDS.setdefault(_kind, []).append(_method)
# Wrong however the counts go: a count of nothing, and a singular count with a plural word.
WRONG = re.compile(
    r"(?<![\d.])0 [a-z]|\b1 (methods|calls|changes|additions|problems|have|are|call)\b|"
    r"\bThe other\b|\(s\)|their 1 methods"
)


def _guide(same: int = 0, aliased: int = 0, renamed: int = 0, recipes: int = 0) -> str:
    """The guide for a capture holding that many methods of each kind."""
    chosen = {"same name": same, "their name works too": aliased, "renamed": renamed}
    methods = [m for kind, n in chosen.items() for m in KINDS[kind][:n]]
    methods += KINDS["recipe"][:recipes]
    return render(SPEC, {**VENDOR, "methods": methods})


def _every_method(text: str) -> str:
    """The paragraphs under "## Every method", before the first table."""
    return text.split("## Every method\n", 1)[1].split("\n### ", 1)[0]


def test_the_helpers() -> None:
    assert [counted(n, "method") for n in (0, 1, 2)] == ["0 methods", "1 method", "2 methods"]
    assert plural(1, "has", "have") == "has"
    assert plural(3, "has", "have") == "have"
    assert [and_join(x) for x in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == [
        "",
        "a",
        "a and b",
        "a, b and c",
    ]


def test_the_committed_guide_says_its_counts() -> None:
    section = _every_method(GUIDE.read_text(encoding="utf-8"))
    found = rows(COMMITTED, VENDOR)
    recipes = sum(1 for row in found if row.recipe)
    supported = len(found) - recipes
    if supported:
        have = plural(supported, "has its", "have their")
        assert f"Of their {counted(len(found), 'method')}, {supported} {have} equivalent" in section
    if recipes:
        assert f"{counted(recipes, 'method')} {plural(recipes, 'calls', 'call')} " in section
    else:
        assert "escape hatch" not in section
    assert not WRONG.search(section)


def test_a_lacking_method_outside_the_known_areas_is_said_to_call_other_operations() -> None:
    spec = {
        **SPEC,
        "paths": {**SPEC["paths"], "/agents": {"post": SPEC["paths"]["/agents"]["post"]}},
    }
    section = " ".join(_every_method(render(spec, VENDOR)).split())
    assert (
        "21 methods call batch definitions, batch executions, execution policies and other "
        "operations, which the v2 spec" in section
    )
    assert not WRONG.search(section)


@pytest.mark.parametrize(
    ("counts", "said", "unsaid"),
    [
        (
            {"same": 2},
            ["Of their 2 methods, 2 have their equivalent here, matched by\nHTTP method and path."],
            ["escape hatch", "renamed", "own name"],
        ),
        (
            {"same": 1},
            ["Of their 1 method, 1 has its equivalent here"],
            ["escape hatch", "renamed", "each of its"],
        ),
        (
            {"renamed": 1, "aliased": 1},
            ["1 also answers to its own name", ", 1 is renamed."],
            ["escape hatch"],
        ),
        (
            {"renamed": 3, "aliased": 2},
            ["2 also answer to their own name", ", 3 are renamed."],
            ["escape hatch"],
        ),
        (
            {"same": 1, "recipes": 1},
            [
                "Of their 2 methods, 1 has its equivalent",
                "1 method calls batch definitions, which",
                "It goes through",
                "its recipe is in the",
                "adds it makes it a typed method",
            ],
            ["They go", "renamed"],
        ),
        (
            {"recipes": 1},
            ["1 method calls batch definitions, which", "its one method"],
            ["Of their", "equivalent here"],
        ),
        (
            {"aliased": 1, "recipes": 20},
            [
                "Of their 21 methods, 1 has its equivalent",
                '1 also answers to its own name ("their name works too").',
                "20 methods call batch definitions, batch executions and execution policies,",
                "They go through",
                "their recipes are in the",
            ],
            ["renamed"],
        ),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else "",
)
def test_the_guide_reads_right_for_any_counts(
    counts: dict[str, int], said: list[str], unsaid: list[str]
) -> None:
    text = _guide(**counts)
    section = _every_method(text)
    for phrase in said:
        assert phrase in text, phrase
    for phrase in unsaid:
        assert phrase not in section, phrase
    assert not WRONG.search(text), WRONG.search(text)


def _changes(breaking: int, additions: int, other: int) -> list[Change]:
    return [
        *(Change("major", f"a.m{n}", f"a.m{n}: removed") for n in range(breaking)),
        *(Change("minor", f"a.n{n}", f"+ a.n{n}() -> None") for n in range(additions)),
        *(Change("patch", f"a.o{n}", f"~ a.o{n}: default 1 (was 2)") for n in range(other)),
    ]


@pytest.mark.parametrize(
    ("counts", "heading"),
    [
        ((0, 0, 0), "API unchanged."),
        ((1, 0, 0), "API change since the last generation: 1 breaking change."),
        ((0, 1, 0), "API change since the last generation: 1 addition."),
        ((0, 0, 1), "API change since the last generation: 1 other change."),
        ((2, 1, 0), "API change since the last generation: 2 breaking changes and 1 addition."),
        (
            (1, 3, 2),
            "API change since the last generation: 1 breaking change, 3 additions and 2 other "
            "changes.",
        ),
    ],
)
def test_the_report_heading_reads_right_for_any_counts(
    counts: tuple[int, int, int], heading: str
) -> None:
    changes = _changes(*counts)
    assert api_changes.heading(changes) == heading
    lines = api_changes.report(changes, "0.4.2")
    assert len(lines) == (sum(counts) + 1 if changes else 0)
    assert not any(WRONG.search(line) for line in [heading, *lines])


def test_regens_own_lines_count_right() -> None:
    from scripts.regen import _words

    assert _words("normalised")("fix_x", 1) == "normalise: fix_x: 1 change"
    assert _words("normalised")("fix_x", 6) == "normalise: fix_x: 6 changes"
    assert _words("refused")(1) == "regen: the spec has 1 problem; generated/ is unchanged."
    assert _words("refused")(2) == "regen: the spec has 2 problems; generated/ is unchanged."
    assert _words("written")("pkg", 1, 1) == "regen: generated/pkg written (1 operation, 1 model)."
    assert (
        _words("written")("pkg", 63, 153)
        == "regen: generated/pkg written (63 operations, 153 models)."
    )
