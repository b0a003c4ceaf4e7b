"""The generated prose: Jinja templates in scripts/templates/, and the words that follow counts.

The migration guide (scripts/migration_guide.py) and the API change report (scripts/api_changes.py,
printed by `make regen` and written to CHANGELOG.md) are written by templates, so their prose is
edited as text, not as Python strings. A count is printed with `counted` ("1 method", "2
methods"); a sentence about something there is none of is left out by the template (`{% if %}`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["and_join", "counted", "plural", "render", "words"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


def plural(count: int, one: str, many: str | None = None) -> str:
    """`one` for a count of 1, else `many` (default: `one` + "s")."""
    return one if count == 1 else (many if many is not None else one + "s")


def counted(count: int, one: str, many: str | None = None) -> str:
    """ "1 method", "2 methods", "0 methods" (a template leaves a sentence about 0 out)."""
    return f"{count} {plural(count, one, many)}"


def and_join(items: Iterable[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    words = list(items)
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown and plain text, not HTML
    )
    environment.globals.update(plural=plural, counted=counted, and_join=and_join)
    return environment


def render(template: str, **context: Any) -> str:
    """scripts/templates/`template` rendered with `context`."""
    return _environment().get_template(template).render(**context)


def words(template: str, macro: str) -> Callable[..., str]:
    """The macro `macro` of scripts/templates/`template`: one line of prose, as a function."""
    found = getattr(_environment().get_template(template).module, macro)

    def line(*args: Any, **kwargs: Any) -> str:
        return str(found(*args, **kwargs)).strip()

    return line
