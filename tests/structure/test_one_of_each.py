"""One of each: the tree has one loopback HTTP server, one request reader, one multipart parser
and one RecordedRequest, all in meibel.testing (FakeMeibel's), which tests/wire.py and
benchmarks/_servers.py adapt. Copies drift apart: each of these was once written three times.

Read with `ast` in every hand-written directory, Python scripts held in string constants
(servers started in a subprocess) included.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIRECTORIES = ("meibel", "tests", "benchmarks", "contract", "examples", "scripts", "typing_tests")


@cache
def _trees() -> list[tuple[str, ast.AST]]:
    """(where, tree) for every module, and for every string in one that is a Python script."""
    trees: list[tuple[str, ast.AST]] = []
    for directory in DIRECTORIES:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            where = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text(encoding="utf-8"))
            trees.append((where, tree))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if "import " not in node.value:
                        continue
                    try:
                        script = ast.parse(node.value)
                    except SyntaxError:
                        continue
                    trees.append((f"{where}:{node.lineno} (a script)", script))
    return trees


def _name(node: ast.expr) -> str:
    """`a.b.C` -> "C"; anything else -> ""."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _found(match: type[ast.AST], test: object) -> list[str]:
    found = []
    for where, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, match) and test(node):  # type: ignore[operator]
                name = getattr(node, "name", "")
                found.append(f"{where.split(' ')[0]}:{name}" if name else where)
    return found


def _bases(node: ast.ClassDef) -> set[str]:
    return {_name(base) for base in node.bases}


def test_one_http_server_class() -> None:
    servers = _found(
        ast.ClassDef,
        lambda node: any(base.endswith(("HTTPServer", "TCPServer")) for base in _bases(node)),
    )
    assert servers == ["meibel/testing/_server.py:QuietServer"]


def test_no_server_is_built_around_it() -> None:
    built = [
        where
        for where in _found(
            ast.Call, lambda node: _name(node.func).endswith(("HTTPServer", "TCPServer"))
        )
        if where != "meibel/testing/_server.py"
    ]
    assert built == [], "use meibel.testing._server.loopback_httpd or LoopbackServer"


def test_one_request_reader() -> None:
    handlers = _found(ast.ClassDef, lambda node: "BaseHTTPRequestHandler" in _bases(node))
    assert handlers == ["meibel/testing/_server.py:LoopbackHandler"]


def test_one_multipart_parser() -> None:
    parsers = _found(
        ast.FunctionDef,
        lambda node: any(
            isinstance(call, ast.Call) and _name(call.func) == "MultipartParser"
            for call in ast.walk(node)
        ),
    )
    assert parsers == ["meibel/testing/_routing.py:parse_multipart"]


def test_one_recorded_request() -> None:
    classes = _found(ast.ClassDef, lambda node: node.name == "RecordedRequest")
    assert classes == ["meibel/testing/_records.py:RecordedRequest"]
