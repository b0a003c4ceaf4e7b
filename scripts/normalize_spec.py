"""Normalise the vendored Meibel spec before code generation.

The vendor's `openapi/api-v2.json` is kept exactly as published. Its quirks are fixed here, on a
copy, so that openapi-python-client accepts the document and generates correct code. Each quirk is
one function that mutates the document in place and returns the JSON pointers it changed; the
functions are independent and idempotent.

Usage: python -m scripts.normalize_spec IN.json OUT.json
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .prose import counted

JSON = dict[str, Any]
Fix = Callable[[JSON], list[str]]

# Keywords that describe a schema rather than constrain its type: they stay on the outer schema
# when a schema is wrapped into `anyOf`.
_ANNOTATIONS = (
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _objects(node: Any, pointer: str = "") -> Iterator[tuple[str, JSON]]:
    """Every JSON object in the document, depth first, with its JSON pointer."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from _objects(value, f"{pointer}/{_escape(key)}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{pointer}/{index}")


def fix_discriminator_mapping(spec: JSON) -> list[str]:
    """Discriminator `mapping` values written as `{"$ref": ...}` objects become the ref strings.

    OpenAPI requires strings; openapi-python-client rejects the whole document otherwise.
    """
    changed = []
    for pointer, obj in _objects(spec):
        mapping = obj.get("discriminator", {}).get("mapping") if "discriminator" in obj else None
        if not isinstance(mapping, dict):
            continue
        for key, value in mapping.items():
            if isinstance(value, dict) and isinstance(value.get("$ref"), str):
                mapping[key] = value["$ref"]
                changed.append(f"{pointer}/discriminator/mapping/{_escape(key)}")
    return changed


def _is_binary_media_type(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return not (base.startswith("text/") or base == "application/json" or base.endswith("+json"))


def fix_binary_content_media_type(spec: JSON) -> list[str]:
    """`type: string, contentMediaType: <binary type>` gains `format: binary`.

    This is how OpenAPI 3.1 (and FastAPI) declare an uploaded file. openapi-python-client only
    knows the 3.0 spelling `format: binary`; without it, file parts become text fields and the
    generated code sends `str(file)` instead of the file's bytes.
    """
    changed = []
    for pointer, obj in _objects(spec):
        media_type = obj.get("contentMediaType")
        if (
            obj.get("type") == "string"
            and isinstance(media_type, str)
            and "format" not in obj
            and "contentEncoding" not in obj
            and _is_binary_media_type(media_type)
        ):
            obj["format"] = "binary"
            changed.append(pointer)
    return changed


def fix_nullable_keyword(spec: JSON) -> list[str]:
    """The OpenAPI 3.0 keyword `nullable` becomes the 3.1 form `anyOf: [X, {type: 'null'}]`.

    In a 3.1 document `nullable` is meaningless and ignored, so a field the vendor marks nullable
    would reject `null` at parse time. The `anyOf` form is the one the rest of the spec uses.
    """
    if not str(spec.get("openapi", "")).startswith("3.1"):
        return []
    targets = [(p, obj) for p, obj in _objects(spec) if "nullable" in obj]
    changed = []
    for pointer, obj in targets:
        nullable = obj.pop("nullable")
        changed.append(pointer)
        if nullable is not True:
            continue
        inner = {k: v for k, v in obj.items() if k not in _ANNOTATIONS}
        outer = {k: v for k, v in obj.items() if k in _ANNOTATIONS}
        obj.clear()
        obj["anyOf"] = [inner, {"type": "null"}]
        obj.update(outer)
    return changed


FIXES: tuple[Fix, ...] = (
    fix_discriminator_mapping,
    fix_binary_content_media_type,
    fix_nullable_keyword,
)


def normalize(spec: JSON) -> tuple[JSON, dict[str, list[str]]]:
    """Return a normalised deep copy of `spec` and, per fix, the pointers it changed."""
    result = copy.deepcopy(spec)
    report = {fix.__name__: fix(result) for fix in FIXES}
    return result, report


def dumps(spec: JSON) -> str:
    """The canonical text form used for every spec file this project writes."""
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = (Path(arg) for arg in argv)
    normalized, report = normalize(json.loads(source.read_text(encoding="utf-8")))
    target.write_text(dumps(normalized), encoding="utf-8")
    for name, pointers in report.items():
        print(f"{name}: {counted(len(pointers), 'change')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
