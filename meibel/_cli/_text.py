"""Text for people: what the server sent made harmless on a terminal, counted nouns.

Anything the server sends (names, statuses, error details, chat text, filenames) could hold
escape sequences that retitle the terminal, move the cursor, overwrite a line with a carriage
return or reorder what is shown (U+202E). `shown()` writes each such character as a visible
escape instead (`\\x1b`, `\\u202e`). JSON output needs nothing more: json.dumps escapes them.
"""

from __future__ import annotations

from .._files import replace_controls

__all__ = ["plural", "shown"]


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: object, *, lines: bool = False) -> str:
    """`str(text)` with its control characters escaped; newlines and tabs kept with `lines`."""
    value = str(text)
    if not lines:
        return replace_controls(value, _escape)
    value = value.replace("\r\n", "\n")
    return replace_controls(value, lambda c: c if c in "\n\t" else _escape(c))


def plural(count: int, noun: str) -> str:
    """`1 file`, `2 files`, `0 files`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
