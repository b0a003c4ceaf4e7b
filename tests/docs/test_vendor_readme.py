"""The vendor SDK's README (`meibel` 2.0.7 on PyPI), run unchanged against the fake over HTTP.

Its code is read from a verbatim copy (tests/fixtures/vendor_readme_2.0.7.md). Each example is
the code under one comment of a ```python block (a block without comments is one example); the
examples run after the README's own setup lines, its import and `client = MeibelClient(...)`, as
a reader runs them. The key is the README's; the base URL comes from MEIBEL_BASE_URL, the
datasource the upload example names none of from MEIBEL_DATASOURCE_ID. Each example's requests,
as the fake received them, are what the vendor's SDK would send.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from meibel import AsyncMeibelClient, MeibelClient
from meibel.testing import FakeMeibel

README = Path(__file__).resolve().parents[1] / "fixtures" / "vendor_readme_2.0.7.md"
SECTION = re.compile(r"^## (.+)$", re.M)
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
KEY = "your-api-key"  # the README's
DATASOURCE = "ds-123"  # the README's
FILES = {"document.pdf": b"%PDF-1.7 report", "doc.pdf": b"%PDF-1.7 doc", "data.csv": b"a,b\n1,2\n"}


def _examples() -> tuple[str, dict[str, tuple[str, bool]]]:
    """The README's setup lines, and its examples by title (section, then the comment), each with
    whether it runs after the setup (a whole block makes its own client)."""
    text = README.read_text(encoding="utf-8")
    setup = ""
    examples: dict[str, tuple[str, bool]] = {}
    for section in SECTION.split(text)[1::2]:
        body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
        for block in BLOCK.findall(body):
            parts = re.split(r"^# (.+)\n", block, flags=re.M)
            if len(parts) == 1:
                examples[section] = (block, False)
                continue
            setup = setup or parts[0]
            for comment, code in zip(parts[1::2], parts[2::2], strict=True):
                examples[f"{section}: {comment}"] = (code, True)
    return setup, examples


SETUP, EXAMPLES = _examples()


def _upload(request: Any, name: str, field: str) -> None:
    [part] = request.files
    assert (part.field, part.filename, part.data) == (field, name, FILES[name])


def _chat(request: Any) -> None:
    assert request.json["user_message"] == "Hello"


# What each example sends: (method, path, operationId, a check of the request), in order.
Check = Callable[[Any], None]
EXPECTED: dict[str, list[tuple[str, str, str, Check | None]]] = {
    "Quick Start: Parse a document": [
        ("POST", "/v2/documents", "parseDocument", lambda r: _upload(r, "document.pdf", "file")),
    ],
    "Quick Start: Process a document synchronously (waits for completion)": [
        (
            "POST",
            "/v2/documents/process",
            "processDocument",
            lambda r: _upload(r, "document.pdf", "file"),
        ),
    ],
    "Quick Start: List datasources": [("GET", "/v2/datasources", "listDatasources", None)],
    "Nested Resources: Upload content to a datasource": [
        (
            "POST",
            f"/v2/datasources/{DATASOURCE}/content",
            "uploadContent",
            lambda r: _upload(r, "data.csv", "files"),
        ),
    ],
    "Nested Resources: List data elements": [
        ("GET", f"/v2/datasources/{DATASOURCE}/data-elements", "listDataElements", None),
    ],
    "Nested Resources: Create a session and send a message": [
        ("POST", "/v2/agents/agent-123/sessions", "createSession", None),
        ("POST", "/v2/sessions/{session}/chat", "sendChatMessage", _chat),
    ],
    "Async Usage": [
        (
            "POST",
            "/v2/documents/process",
            "processDocument",
            lambda r: _upload(r, "doc.pdf", "file"),
        )
    ],
}


def test_every_example_of_the_readme_is_checked() -> None:
    assert (
        SETUP
        == 'from meibel import MeibelClient\n\nclient = MeibelClient(api_key="your-api-key")\n\n'
    )
    assert list(EXAMPLES) == list(EXPECTED)


def _run(code: str, name: str, namespace: dict[str, Any]) -> None:
    """Run `code` as a script would; top-level `await` runs in an event loop of its own."""
    compiled = compile(code, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if not compiled.co_flags & inspect.CO_COROUTINE:
        exec(compiled, namespace)
        return

    async def main() -> None:
        try:
            await eval(compiled, namespace)
        finally:
            for value in namespace.values():
                if isinstance(value, AsyncMeibelClient):
                    await value.aclose()

    asyncio.run(main())


@pytest.fixture
def workdir(
    meibel_fake: FakeMeibel,
    meibel_fake_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> FakeMeibel:
    """The README's files in the working directory, and its datasource at the fake."""
    monkeypatch.chdir(tmp_path)
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    meibel_fake.seed("datasources", DATASOURCE, name="Sales")
    monkeypatch.setenv("MEIBEL_DATASOURCE_ID", DATASOURCE)
    meibel_fake.requests.clear()
    return meibel_fake


@pytest.mark.parametrize("title", list(EXPECTED))
def test_the_readme_example_runs_unchanged(
    title: str, workdir: FakeMeibel, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = workdir
    opened: list[IO[Any]] = []

    def tracked_open(*args: Any, **kwargs: Any) -> IO[Any]:
        # The async example opens a file it never closes; the test closes it.
        handle: IO[Any] = open(*args, **kwargs)  # noqa: SIM115
        opened.append(handle)
        return handle

    namespace: dict[str, Any] = {"__name__": "__readme__", "open": tracked_open}
    code, after_setup = EXAMPLES[title]
    try:
        if after_setup:
            _run(SETUP, "README:setup", namespace)
        _run(code, f"README:{title}", namespace)
    finally:
        for handle in opened:
            handle.close()
        for value in namespace.values():
            if isinstance(value, MeibelClient):
                value.close()

    sent = fake.requests
    expected = EXPECTED[title]
    session = next(iter(fake.sessions), "")
    assert [(r.method, r.path, r.operation_id) for r in sent] == [
        (method, path.format(session=session), operation) for method, path, operation, _ in expected
    ]
    for request, (*_, check) in zip(sent, expected, strict=True):
        assert request.headers["meibel-api-key"] == KEY
        if check is not None:
            check(request)

    printed = capsys.readouterr().out
    if title == "Quick Start: Parse a document":
        assert printed.strip() in fake.parse_jobs  # result.job_id
    if title == "Quick Start: List datasources":
        assert printed.strip() == "Sales"  # for ds in datasources.items: print(ds.name)
    if title.endswith("Create a session and send a message"):
        assert [chat.user_message for chat in fake.chats] == ["Hello"]
