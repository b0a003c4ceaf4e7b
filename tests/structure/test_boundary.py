"""The one-way boundary: generated code reaches meibel/ only through meibel/_resource.py, and
meibel/ reaches the generated package only through meibel/_generated.py."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "generated" / "meibel_api_v2"
OVERLAY = ROOT / "meibel"


def _imports(path: Path) -> Iterator[tuple[str, int, bool]]:
    """(module, line, under TYPE_CHECKING) for every absolute import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            checking |= {id(child) for child in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno, id(node) in checking
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in checking


def test_generated_code_imports_only_the_door() -> None:
    found = {
        (str(path.relative_to(ROOT)), module)
        for path in GENERATED.rglob("*.py")
        for module, _, _ in _imports(path)
        if module == "meibel" or module.startswith("meibel.")
    }
    assert found, "the generated resources import the door"
    assert {module for _, module in found} == {"meibel._resource"}


def test_the_overlay_imports_generated_names_from_one_module() -> None:
    offenders = []
    for path in OVERLAY.rglob("*.py"):
        name = str(path.relative_to(ROOT))
        for module, line, type_checking in _imports(path):
            if not (module == "meibel_api_v2" or module.startswith("meibel_api_v2.")):
                continue
            if name == "meibel/_generated.py":
                continue
            # meibel.models mirrors every generated model, for type checkers only.
            if name == "meibel/models.py" and type_checking:
                continue
            offenders.append(f"{name}:{line} imports {module}")
    assert offenders == []


def test_unset_is_never_recognised_by_its_name() -> None:
    for path in OVERLAY.rglob("*.py"):
        assert '__name__ == "Unset"' not in path.read_text(encoding="utf-8"), path
