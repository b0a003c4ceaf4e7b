"""mkdocs hooks (mkdocs.yml `hooks:`): the pages that live outside docs/, links, the API reference.

- The README (the home page), CHANGELOG.md, CONTRIBUTING.md, benchmarks/RESULTS.md and
  generated/API.md (every client method) are pages of the site, read where they are: the
  repository keeps one copy of each.
- A link between these pages and the guides is written as on GitHub, relative to the file
  (`../CHANGELOG.md` in docs/, `docs/uploads.md` in the README): it is rewritten to the page's
  place on the site. A link to any other file outside docs/ stays as written, and the strict build
  fails on it.
- The API reference pages are written from the modules' `__all__` (scripts/docs_reference.py); a
  public name without a docstring, or one missing from its rendered page, is a warning, so
  `mkdocs build --strict` fails on it.
"""

from __future__ import annotations

import posixpath
import re
import sys
from pathlib import Path
from typing import Any

from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # mkdocs loads this file by path: `scripts` must be importable
    sys.path.insert(0, str(ROOT))

from scripts import docs_reference  # noqa: E402

log = get_plugin_logger(__name__)

# Files outside docs/ that are pages of the site: repository path -> path on the site.
OUTSIDE = {
    "README.md": "index.md",
    "CHANGELOG.md": "changelog.md",
    "CONTRIBUTING.md": "contributing.md",
    "benchmarks/RESULTS.md": "benchmarks.md",
    "generated/API.md": "reference/client.md",
}
# An inline link's target: `](target)` or `](target "title")`.
_LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?P<rest>[^)]*)\)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)

# Each reference page's public names (`meibel.sse.iter_sse`...), filled in by on_files.
_reference: dict[str, list[str]] = {}


def _source(page_uri: str) -> str:
    """The repository path of the page at `page_uri` on the site."""
    outside = {site: repo for repo, site in OUTSIDE.items()}
    return outside.get(page_uri, f"docs/{page_uri}")


def _site(repo_path: str) -> str | None:
    """Where a repository file is on the site, or None if it is not a page."""
    if repo_path in OUTSIDE:
        return OUTSIDE[repo_path]
    if repo_path.startswith("docs/"):
        return repo_path.removeprefix("docs/")
    return None


def rewrite_links(markdown: str, page_uri: str) -> str:
    """`markdown`'s links to pages, as written in the repository, made relative to `page_uri`."""
    source_dir = posixpath.dirname(_source(page_uri))
    page_dir = posixpath.dirname(page_uri)

    def rewrite(match: re.Match[str]) -> str:
        target = match["target"]
        if _SCHEME.match(target) or target.startswith("/"):
            return match[0]
        site = _site(posixpath.normpath(posixpath.join(source_dir, target)))
        if site is None:
            return match[0]
        return f"]({posixpath.relpath(site, page_dir or '.')}{match['rest']})"

    return _LINK.sub(rewrite, markdown)


def on_files(files: Files, config: Any) -> Files:
    for repo_path, site in OUTSIDE.items():
        files.append(File.generated(config, site, abs_src_path=str(ROOT / repo_path)))
    package = docs_reference.load()
    for name in docs_reference.undocumented(package):
        log.warning(f"{name} has no docstring: every public name needs one")
    for page, markdown in docs_reference.pages(package).items():
        files.append(File.generated(config, page, content=markdown))
    _reference.clear()
    for module, page in docs_reference.MODULES.items():
        names = docs_reference.exports(package, module)
        _reference[f"reference/{page}"] = [f"{module}.{name}" for name in names]
    return files


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    return rewrite_links(markdown, page.file.src_uri)


def on_page_content(html: str, page: Any, **kwargs: Any) -> str:
    for name in _reference.get(page.file.src_uri, ()):
        if f'id="{name}"' not in html:
            log.warning(f"{name} is missing from the API reference ({page.file.src_uri})")
    return html
