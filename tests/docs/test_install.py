"""Safe to pin in a downstream service: what a plain `pip install meibel-sdk` gives, and versions.

A scratch venv holds only pytest and the wheel of this checkout, installed without extras (its
runtime dependencies from the package index, as a service would get them). In it an unrelated test
suite must pass untouched by our pytest plugin, and the parts that need `[testing]` must say how to
install it. docs/installing.md's commands run too, offline, in a venv of their own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_docs import _blocks, _dependency_overlay, _run_shell

import meibel
from meibel._cli import VERSION

ROOT = Path(__file__).resolve().parents[2]
HINT = 'pip install "meibel-sdk[testing]"'
# Variables of this run that would reach into the scratch venvs (or switch our plugin off).
_LEAKS = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")


def _clean_env(venv: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _LEAKS and not key.startswith(("PYTEST_", "MEIBEL_", "GIT_DIR", "GIT_WORK"))
    }
    return {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}", **extra}


def _run(
    command: list[str | Path], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built offline as tests/docs/test_docs.py builds it."""
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps"),
            *("--no-index", "--quiet", "-w", str(out), str(ROOT)),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def plain_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with pytest and `pip install meibel-sdk` (no extras), dependencies from the index."""
    venv = tmp_path_factory.mktemp("plain") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    install = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
    result = _run([*install, f"pytest=={pytest.__version__}", wheel], venv, _clean_env(venv))
    assert result.returncode == 0, result.stdout + result.stderr
    return venv


def test_the_wheel_is_built_at_the_one_version(wheel: Path) -> None:
    assert wheel.name == f"meibel_sdk-{meibel.__version__}-py3-none-any.whl"


def test_api_version_is_the_specs() -> None:
    """`make regen` writes it (the generated package's `__spec_version__`): no hand step."""
    for spec in (ROOT / "openapi" / "api-v2.json", ROOT / "generated/meibel_api_v2/openapi.json"):
        version = json.loads(spec.read_text(encoding="utf-8"))["info"]["version"]
        assert meibel.__api_version__ == version, (
            f"{spec.relative_to(ROOT)} is version {version} but meibel.__api_version__ is "
            f"{meibel.__api_version__!r}: run `make regen`"
        )


THIRD_PARTY_TESTS = """
import sys


def test_unrelated():
    assert sorted([3, 1, 2]) == [1, 2, 3]


def test_meibel_plugin_is_registered_and_imported_nothing(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("meibel")
    ours = [name for name in sys.modules if name.startswith(("meibel", "httpx2", "orjson"))]
    assert sorted(ours) == ["meibel", "meibel._extras", "meibel._pytest_plugin", "meibel._version"]
"""

FIXTURE_TESTS = """
def test_with_the_fake(meibel_fake):
    meibel_fake.reply("never")


def test_with_the_server(meibel_fake_server):
    pass
"""


def _pytest(venv: Path, tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_service.py").write_text(source)
    return _run([venv / "bin" / "python", "-m", "pytest"], tmp_path, _clean_env(venv))


def test_an_unrelated_test_suite_passes_without_the_extra(plain_venv: Path, tmp_path: Path) -> None:
    result = _pytest(plain_venv, tmp_path, THIRD_PARTY_TESTS)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output
    assert "Error while loading plugin" not in output
    assert "PluginValidationError" not in output


def test_the_fixtures_without_the_extra_say_how_to_install_it(
    plain_venv: Path, tmp_path: Path
) -> None:
    result = _pytest(plain_venv, tmp_path, FIXTURE_TESTS)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "2 errors" in output
    assert "ERROR at setup of test_with_the_fake" in output
    assert "meibel_fake: meibel.testing needs jsonschema and python_multipart" in output
    assert HINT in output
    assert "Traceback" not in output
    assert "ModuleNotFoundError" not in output
    assert "During handling" not in output, "one message, not an exception chain"


def test_the_fake_chat_without_the_extra_says_how_to_install_it(plain_venv: Path) -> None:
    command = [plain_venv / "bin" / "meibel", "chat", "--agent", "a", "--fake"]
    result = _run(command, plain_venv, _clean_env(plain_venv))
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("meibel: meibel.testing needs jsonschema")
    assert line.endswith(HINT)


def test_a_plain_install_has_httpx2_not_httpx(plain_venv: Path) -> None:
    script = """
import httpx2, meibel, sys
try:
    import httpx
except ImportError:
    pass
else:
    sys.exit("httpx is installed")
try:
    import meibel.testing
except ImportError as error:
    print(type(error).__name__, error.name, error, sep="|")
print(meibel.__version__, meibel.__file__.startswith(sys.prefix), sep="|")
"""
    result = _run([plain_venv / "bin" / "python", "-c", script], plain_venv, _clean_env(plain_venv))
    assert result.returncode == 0, result.stderr
    error, installed = result.stdout.splitlines()
    kind, name, message = error.split("|")
    assert kind == "MissingExtraError"
    assert name == "jsonschema"
    assert message.endswith(HINT)
    assert installed == f"{meibel.__version__}|True"


# docs/installing.md, offline: the placeholder repository is a local git repository tagged with
# this version, the package index is a folder holding the wheel of this checkout.
PLACEHOLDER = "https://<your-git-host>/meibel-sdk"


def _tagged_repository(path: Path) -> Path:
    path.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "meibel", "generated/meibel_api_v2"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, path / name)
    git = ["git", "-C", str(path), "-c", "user.name=docs", "-c", "user.email=docs@example.invalid"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    for args in (
        ["init", "--quiet"],
        ["add", "--all"],
        ["-c", "commit.gpgsign=false", "commit", "--quiet", "--message", "release"],
        ["tag", f"v{meibel.__version__}"],
    ):
        subprocess.run([*git, *args], check=True, capture_output=True, env=env)
    return path


def test_installing_page_shows_this_version() -> None:
    page = (ROOT / "docs" / "installing.md").read_text(encoding="utf-8")
    version = meibel.__version__
    shown = {
        *re.findall(r"meibel-sdk==([\d.]+\d)\b(?!\.\*)", page),
        *re.findall(r"meibel_sdk-([\d.]+\d)-", page),
        *re.findall(r"(?:@|--branch )v([\d.]+\d)", page),
        *(f"{pin}.{version.split('.')[2]}" for pin in re.findall(r"==(\d+\.\d+)\.\*", page)),
    }
    assert shown == {version}, f"docs/installing.md shows versions {shown}: update it to {version}"
    assert _blocks(ROOT / "docs" / "installing.md", "text") == [f"{VERSION}\n"]


def test_installing_page_commands_work(wheel: Path, tmp_path: Path) -> None:
    index_block, git_block, wheel_block = _blocks(ROOT / "docs" / "installing.md", "sh")
    origin = _tagged_repository(tmp_path / "remote" / "meibel-sdk")
    # With a host: the pip that `python -m venv` bundles rejects "git+file:///" requirements.
    url = f"file://localhost{origin}"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([python, "-c", purelib], text=True).strip())
    (site / "_dependencies.pth").write_text(f"{_dependency_overlay(tmp_path / 'deps')}\n")
    env = _clean_env(
        venv,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheel.parent),
        # pip reads this one inverted: "0" turns build isolation off, so builds use hatchling
        # from the overlay instead of fetching it.
        PIP_NO_BUILD_ISOLATION="0",
    )
    where = [python, "-c", "import meibel, sys; print(meibel.__file__.startswith(sys.prefix))"]
    uninstall = [python, "-m", "pip", "uninstall", "--yes", "--quiet", "meibel-sdk"]
    printed = []
    for block in (index_block, git_block, wheel_block):
        result = _run_shell(block.replace(PLACEHOLDER, url), tmp_path, env)
        output = result.stdout + result.stderr
        assert "Successfully installed meibel-sdk-" in result.stdout, output
        assert "does not provide the extra" not in output
        assert _run(where, tmp_path, env).stdout.strip() == "True"
        printed.append(result.stdout)
        subprocess.run(uninstall, env=env, check=True, capture_output=True)
    assert VERSION in printed[0].splitlines(), "the page shows what `meibel --version` prints"
