"""Every code block of the README and docs/ runs, so the docs cannot rot.

Python blocks run page by page against the fake. Shell blocks run for real where they make sense:
the install commands in a scratch venv (offline, from a wheel built from this checkout), the
regeneration walkthrough on a copy of the repository (its printed output must match the page), and
the README's first block is what CI runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx2
import pytest

from meibel import MeibelClient

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
# Pages whose shell blocks are executed, and by which test (installing.md: docs/test_install.py).
SHELL_PAGES = {"README.md", "getting-started.md", "installing.md", "regenerating.md"}
# Pages of prose only (design notes, the retry policy) have no code at all.
PROSE_PAGES = {"decisions.md", "errors-and-retries.md"}


def _blocks(page: Path, language: str) -> list[str]:
    return [
        code for lang, code in BLOCK.findall(page.read_text(encoding="utf-8")) if lang == language
    ]


def _commands(block: str) -> list[str]:
    """The commands of a shell block, without comments."""
    lines = (line.split("#", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_block_has_a_runner(page: Path) -> None:
    languages = [lang for lang, _ in BLOCK.findall(page.read_text(encoding="utf-8"))]
    if page.name in PROSE_PAGES:
        assert languages == [], f"{page.name} has code blocks: give them a runner"
        return
    assert languages, f"{page.name} has no code block"
    allowed = {"python"} | ({"sh", "text"} if page.name in SHELL_PAGES else set())
    assert set(languages) <= allowed, f"{page.name}: blocks without a runner: {languages}"


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p, "python")], ids=lambda p: p.name)
def test_python_blocks_run(
    page: Path, meibel_fake_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("q4.pdf", "q2.pdf", "report.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.7")
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        for number, block in enumerate(_blocks(page, "python"), 1):
            try:
                exec(compile(block, f"{page.name}:block{number}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"{page.name} block {number} failed: {error!r}\n{block}")
    finally:
        # Examples may leave clients open, as scripts do; a test closes them.
        for value in namespace.values():
            if isinstance(value, MeibelClient | httpx2.Client):
                value.close()


def test_readme_first_block_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Meibel Python SDK\n\n```sh\n"), "the README opens with its commands"
    first, *others = _blocks(ROOT / "README.md", "sh")
    assert others == []
    ci = {line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()}
    commands = _commands(first)
    assert commands == ["make install demo", "make test"]
    assert set(commands) <= ci, ".ci/run must run the README's commands as written"


_ENCLOSING_MAKE = {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}


def _run_shell(
    block: str, cwd: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a shell block as a user would paste it, stopping at its first failing command."""
    command = ["bash", "-euo", "pipefail", "-c", block]
    # A user's terminal is not inside make: under `make test` these would make a nested
    # make print "Entering directory" lines the page does not show.
    env = {key: value for key, value in env.items() if key not in _ENCLOSING_MAKE}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _dependency_overlay(path: Path) -> Path:
    """This environment's installed packages, minus our own distribution."""
    path.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("meibel", "_meibel", "__editable__")):
            (path / entry.name).symlink_to(entry)
    return path


def test_install_commands_install_a_working_package(tmp_path: Path) -> None:
    """getting-started.md's pip commands, offline: the wheel of this checkout, deps from here."""
    (block,) = _blocks(ROOT / "docs" / "getting-started.md", "sh")
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps"]
    subprocess.run(
        [*build, "--no-index", "--quiet", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    site = Path(
        subprocess.check_output(
            [
                venv / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            text=True,
        ).strip()
    )
    (site / "_dependencies.pth").write_text(f"{_dependency_overlay(tmp_path / 'deps')}\n")
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    result = _run_shell(block, tmp_path, env)
    assert "Successfully installed meibel-sdk-" in result.stdout
    assert "does not provide the extra" not in result.stdout + result.stderr

    # The installed wheel (not this checkout) works, including the spec that meibel.testing reads.
    smoke = """
import meibel, meibel.testing, sys
assert meibel.__file__.startswith(sys.prefix), meibel.__file__
fake = meibel.testing.FakeMeibel()
fake.reply("Installed.")
session = fake.client().agents.create_session(agent_id="a")
print(session.chat("hi").message)
"""
    run = subprocess.run(
        [venv / "bin" / "python", "-c", smoke], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "Installed."


def _bumped_spec() -> dict[str, object]:
    """The vendor's spec plus an "End Session" operation and a `page` field on citations."""
    spec = json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))
    get = spec["paths"]["/sessions/{session_id}"]["get"]
    spec["paths"]["/sessions/{session_id}"]["delete"] = {
        "operationId": "endSession",
        "summary": "End Session",
        "tags": ["Sessions"],
        "parameters": get["parameters"],
        "responses": {"204": {"description": "Session ended"}, "422": get["responses"]["422"]},
        "security": get["security"],
    }
    page = {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Page"}
    spec["components"]["schemas"]["Source"]["properties"]["page"] = page
    return spec


# What depends on the spec, not on the bump: the counts a spec bump moves anyway, and the version
# of the vendored spec the walkthrough starts from.
_COUNTS = re.compile(
    r"(?<=: )\d+(?= change)|(?<=\()\d+(?= operations)|(?<=, )\d+(?= models)|(?<=\(spec )[\w.]+"
)


# The fake's line names every operation without a handler: the page's, and a bump's before it.
_FAKE = re.compile(r"^fake: \d+ operations? answered from the spec alone: (.*)$")


def _without_counts(lines: list[str], shown: list[str] | None = None) -> list[str]:
    """`lines` without what a bump moves; of the fake's line, the operations in `shown`."""
    kept = []
    for line in lines:
        if (fake := _FAKE.match(line)) and shown is not None:
            line = "fake: " + ", ".join(n for n in fake[1].split(", ") if n in shown)
        kept.append(_COUNTS.sub("N", line))
    return kept


def _regen_project(tmp_path: Path, spec: dict[str, object]) -> tuple[Path, dict[str, str]]:
    """A copy of the repository, and an environment whose ~/Downloads has `spec`."""
    project = tmp_path / "repo"
    names = ("openapi", "scripts", "generated", "meibel", "pyproject.toml", "Makefile")
    for name in (*names, "CHANGELOG.md"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    (home / "Downloads" / "api-v2.json").write_text(json.dumps(spec, indent=2))
    return project, {**os.environ, "HOME": str(home), "PYTHON": sys.executable}


def test_regeneration_walkthrough_prints_what_the_page_shows(tmp_path: Path) -> None:
    page = ROOT / "docs" / "regenerating.md"
    (block,) = _blocks(page, "sh")
    expected, _refused = _blocks(page, "text")
    project, env = _regen_project(tmp_path, _bumped_spec())

    result = _run_shell(block, project, env)

    printed = [line for line in result.stdout.splitlines() if line != "scripts/regen.sh"]
    page_lines = expected.splitlines()
    shown = next(m[1].split(", ") for line in page_lines if (m := _FAKE.match(line)))
    assert _without_counts(printed, shown) == _without_counts(page_lines, shown)
    changelog = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "+ sessions.end_session(session_id: str) -> None" in changelog

    # The new operation is a method of the client built from the copy, with no edit to meibel/.
    call = """
import sys
sys.path[:0] = [".", "generated"]
import os, httpx2, meibel
from meibel import MeibelClient
assert meibel.__file__.startswith(os.getcwd()), meibel.__file__
seen = []
def answer(request):
    seen.append(f"{request.method} {request.url.path}")
    return httpx2.Response(204)
http = httpx2.Client(transport=httpx2.MockTransport(answer))
client = MeibelClient(api_key="k", base_url="http://api.test/v2", http_client=http)
assert client.sessions.end_session(session_id="s1") is None
print(seen)
"""
    run = subprocess.run(
        [sys.executable, "-c", call], cwd=project, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "['DELETE /v2/sessions/s1']"


def test_a_refused_spec_prints_what_the_page_shows(tmp_path: Path) -> None:
    page = ROOT / "docs" / "regenerating.md"
    _walkthrough, expected = _blocks(page, "text")
    spec = _bumped_spec()
    spec["paths"]["/agents"]["get"]["operationId"] = "listSessions"  # (sic) as the vendor might
    project, env = _regen_project(tmp_path, spec)
    before = {p: p.read_bytes() for p in (project / "generated").rglob("*") if p.is_file()}

    commands = "cp ~/Downloads/api-v2.json openapi/api-v2.json\nmake regen"
    result = _run_shell(commands, project, env, check=False)

    assert result.returncode != 0
    printed = [line for line in result.stdout.splitlines() if line != "scripts/regen.sh"]
    printed += [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert _without_counts(printed) == _without_counts(expected.splitlines())
    after = {p: p.read_bytes() for p in (project / "generated").rglob("*") if p.is_file()}
    assert after == before
