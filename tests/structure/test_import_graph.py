"""The shape of the hand-written package: its import graph has no cycles, no module imports up
from a package's `__init__`, and no file is over 500 lines. The tests' shape too: every test file
sits in a folder by concern under tests/, and no file there is over 500 lines.

Imports are read with `ast`, module-level and inside functions alike (a lazy import is still an
edge of the design), relative ones resolved; `importlib` calls are not seen.
"""

from __future__ import annotations

import ast
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "meibel"
TESTS = ROOT / "tests"
MAX_LINES = 500


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """The ids of the nodes inside `if TYPE_CHECKING:` blocks (not their `else:`)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for statement in node.body:
                inside |= {id(child) for child in ast.walk(statement)}
    return inside


def _edges(module: str, *, type_checking: bool) -> dict[str, int]:
    """The modules of the package that `module` imports -> the line of the first such import.

    With `type_checking`, imports under `if TYPE_CHECKING:` count too.
    """
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set() if type_checking else _type_checking_nodes(tree)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            # `from pkg import name`: the submodule pkg.name if there is one, else pkg itself.
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source
                for alias in node.names
            ]
        for target in targets:
            if target in MODULES and target != module:
                found.setdefault(target, node.lineno)
    return found


def _cycles(*, type_checking: bool) -> list[list[str]]:
    """One cycle (as a path) in each strongly connected component that has one."""
    graph = {module: _edges(module, type_checking=type_checking) for module in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for module in MODULES:
        if module not in index:
            visit(module)

    cycles = []
    for component in components:
        start = min(component)
        path, seen = [start], {start}
        while True:  # walk inside the component until a module repeats
            target = min(t for t in graph[path[-1]] if t in component)
            if target in seen:
                cycles.append([*path[path.index(target) :], target])
                break
            path.append(target)
            seen.add(target)
    return cycles


def _describe(cycle: list[str], *, type_checking: bool) -> str:
    steps = [
        f"{source} (line {_edges(source, type_checking=type_checking)[target]}) -> {target}"
        for source, target in pairwise(cycle)
    ]
    return "import cycle: " + "; ".join(steps)


def test_the_modules_are_found() -> None:
    assert {"meibel", "meibel._client", "meibel.testing", "meibel._cli"} <= set(MODULES)
    assert _edges("meibel._streaming", type_checking=False), "relative imports are resolved"


def test_the_import_graph_has_no_cycles() -> None:
    cycles = _cycles(type_checking=False)
    assert not cycles, "\n".join(_describe(cycle, type_checking=False) for cycle in cycles)


def test_the_import_graph_has_no_cycles_even_for_type_checkers() -> None:
    # A module that types against another's class, and is imported by it, is a circle too: it
    # types against a protocol instead (meibel/_session.py against the generated namespaces).
    cycles = _cycles(type_checking=True)
    assert not cycles, "\n".join(_describe(cycle, type_checking=True) for cycle in cycles)


def test_no_module_imports_up_from_its_package() -> None:
    # A package's __init__ is its public face: modules inside it import from where names live.
    offenders = [
        f"{module} (line {line}) imports its package {target}"
        for module in MODULES
        for target, line in _edges(module, type_checking=True).items()
        if module.startswith(f"{target}.")
    ]
    assert offenders == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=_name)
def test_no_module_is_over_500_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concern"


def test_no_file_of_the_tests_is_over_500_lines() -> None:
    too_long = [
        f"{path.relative_to(ROOT)} has {lines} lines"
        for path in sorted(TESTS.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert too_long == [], "split them by concern"


def test_every_test_file_sits_in_a_folder_by_concern() -> None:
    at_the_top = sorted(path.name for path in TESTS.glob("test_*.py"))
    assert at_the_top == [], "move them into a folder of tests/ (client/, streaming/, files/...)"
    assert any(TESTS.glob("*/test_*.py")), "the tests are found"
