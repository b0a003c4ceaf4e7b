"""The parts of a multipart request: form fields from a model, files from the caller.

A multipart operation takes its fields as `body`: the spec's `Body_*` model, or any model with
`to_dict()` (the guide passes a `ChatMessageRequest` to the chat stream), or a plain mapping.
Fields left unset or None are left out; booleans are sent as `true`/`false`, numbers in decimal,
lists and objects as JSON. File fields come as keyword arguments (`files=`, `file=`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ._generated import is_unset
from ._multipart import FileInput, normalize_files

__all__ = ["FormFields", "form_parts"]

Field = tuple[str, str]


class FormFields(Protocol):
    """Anything with the generated models' `to_dict()`."""

    def to_dict(self) -> dict[str, Any]: ...


def _unset(value: object) -> bool:
    # UNSET: an operation's `body` left out (a model's fields read None, never UNSET).
    return value is None or is_unset(value)


def _field_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, default=str)


def form_parts(
    form: object, files: Sequence[tuple[str, FileInput | Sequence[FileInput] | None]]
) -> tuple[list[Field], list[tuple[str, FileInput]]]:
    """Split `form` and the file arguments into (field name, text) and (field name, file) parts."""
    fields: list[Field] = []
    file_parts: list[tuple[str, FileInput]] = []
    if _unset(form):
        values: Mapping[str, Any] = {}
    elif hasattr(form, "to_multipart"):
        # A generated Body_* model: it knows its binary parts (File objects) and text parts.
        for name, (filename, payload, content_type, *_) in form.to_multipart():
            if filename is None:
                text = payload.decode() if isinstance(payload, bytes) else str(payload)
                fields.append((name, text))
            else:
                part = (filename, payload, content_type) if content_type else (filename, payload)
                file_parts.append((name, part))
        values = {}
    elif hasattr(form, "to_dict"):
        values = form.to_dict()
    elif isinstance(form, Mapping):
        values = form
    else:
        raise TypeError(f"body must be a model or a mapping of form fields, not {type(form)!r}")
    fields.extend(
        (name, _field_value(value)) for name, value in values.items() if not _unset(value)
    )
    for name, value in files:
        file_parts.extend(normalize_files(value, name))
    return fields, file_parts
