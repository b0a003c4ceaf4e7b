"""The docs site (mkdocs.yml, `make docs`): what its strict build checks, run in `make test` too.

Every public name of meibel, meibel.models, meibel.testing and meibel.sse has a docstring and is
on its API reference page; links between the pages, written as on GitHub, resolve in the
repository and are rewritten to the site's paths.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import griffe
import pytest

from scripts import docs_reference
from scripts.docs_hooks import OUTSIDE, rewrite_links

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*(ROOT / name for name in OUTSIDE), *sorted((ROOT / "docs").glob("*.md"))]
_CODE = re.compile(r"^```.*?^```|`[^`\n]*`", re.S | re.M)
_LINK = re.compile(r"\]\(([^)\s]+)")


@pytest.fixture(scope="module")
def package() -> griffe.Module:
    return docs_reference.load()


def test_every_public_name_has_a_docstring(package: griffe.Module) -> None:
    assert docs_reference.undocumented(package) == []


@pytest.mark.parametrize("module", docs_reference.MODULES)
def test_the_reference_lists_every_name_of_all(package: griffe.Module, module: str) -> None:
    """What griffe reads statically is the `__all__` Python has (meibel.models' is computed)."""
    names = importlib.import_module(module).__all__
    assert docs_reference.exports(package, module) == list(names)
    page = docs_reference.pages(package)[f"reference/{docs_reference.MODULES[module]}"]
    assert re.findall(r"^        - (\S+)$", page, re.M) == list(names)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_name_files_of_the_repository(page: Path) -> None:
    text = _CODE.sub("", page.read_text(encoding="utf-8"))
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:|#", target):
            continue
        path = target.split("#")[0]
        assert (page.parent / path).exists(), f"{page.name} links to {target}: no such file"


@pytest.mark.parametrize(
    ("page", "link", "rewritten"),
    [
        ("installing.md", "[log](../CHANGELOG.md)", "[log](changelog.md)"),
        ("uploads.md", "[r](../benchmarks/RESULTS.md 'results')", "[r](benchmarks.md 'results')"),
        ("index.md", "[u](docs/uploads.md#resuming)", "[u](uploads.md#resuming)"),
        ("changelog.md", "[i](docs/installing.md)", "[i](installing.md)"),
        ("reference/client.md", "[r](../README.md)", "[r](../index.md)"),
        ("uploads.md", "[s](#on-a-cluster)", "[s](#on-a-cluster)"),
        ("uploads.md", "[w](https://example.com/a.md)", "[w](https://example.com/a.md)"),
        # Not a page: left as written, and the strict build fails on it.
        ("jobs.md", "[m](../Makefile)", "[m](../Makefile)"),
    ],
)
def test_links_are_rewritten_to_the_site(page: str, link: str, rewritten: str) -> None:
    assert rewrite_links(link, page) == rewritten
