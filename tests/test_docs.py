"""Every Python code block in docs/ and the README runs, page by page, against the fake."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from meibel import MeibelClient

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_code_blocks_run(
    page: Path, meibel_fake_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    if page.name in ("decisions.md", "errors-and-retries.md"):
        assert blocks == [], f"{page.name} has code blocks: add it to the run"
        return
    assert blocks, f"{page.name} has no Python code block"
    monkeypatch.chdir(tmp_path)
    for name in ("q4.pdf", "q2.pdf", "report.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.7")
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        for number, block in enumerate(blocks, 1):
            try:
                exec(compile(block, f"{page.name}:block{number}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"{page.name} block {number} failed: {error!r}\n{block}")
    finally:
        # Examples may leave clients open, as scripts do; a test closes them.
        for value in namespace.values():
            if isinstance(value, MeibelClient | httpx.Client):
                value.close()
