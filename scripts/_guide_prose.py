"""The sentences of the migration guide (scripts/migration_guide.py) that depend on counts,
worded right for none, one or many."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence


def fill(text: str) -> str:
    """`text` wrapped at 100 columns, never inside a `code span`."""
    kept = re.sub(r"`[^`]*`", lambda code: code[0].replace(" ", "\0"), text)
    return textwrap.fill(kept, 100).replace("\0", " ")


def count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def coverage(
    supported: Sequence[bool], paths: Sequence[str], areas: Mapping[str, str], spec_version: str
) -> str:
    """How many vendor methods have an equivalent (`supported`, one per method, beside its
    `paths`), and what the others call: the `areas` (path prefix: name) their paths start with."""
    methods, have = len(supported), sum(supported)
    if have == methods:
        each = "Their one method has" if methods == 1 else f"Each of their {methods} methods has"
        return fill(
            f"{each} an equivalent here, matched by HTTP method and path in the v2 spec (version "
            f"{spec_version})."
        )
    missing = [path for path, ok in zip(paths, supported, strict=True) if not ok]
    named = [name for start, name in areas.items() if any(p.startswith(start) for p in missing)]
    if not all(path.startswith(tuple(areas)) for path in missing):
        named.append("other operations")
    what = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
    others = methods - have
    return (
        f"{have} of their {count(methods, 'method')} {'has' if have == 1 else 'have'} an "
        "equivalent here, matched by HTTP method and path.\n"
        + fill(
            ("The other one calls" if others == 1 else f"The other {others} call")
            + f" {what}, which the v2 spec (version {spec_version}) this SDK is generated from "
            "does not have: no request or answer of theirs is documented to build a typed method "
            "on. A spec that adds them makes them methods at the next `make regen`; until then, "
            "keep their SDK for those calls, in an environment of its own (both import as "
            "`meibel`)."
        )
    )
