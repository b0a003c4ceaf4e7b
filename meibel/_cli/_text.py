"""Text for people: what the server sent made harmless on a terminal, errors on one line,
counted nouns.

Anything the server sends (names, statuses, error details, chat text, filenames) could hold
escape sequences that retitle the terminal, move the cursor, overwrite a line with a carriage
return or reorder what is shown (U+202E). `shown()` writes each such character as a visible
escape instead (`\\x1b`, `\\u202e`). JSON output needs nothing more: json.dumps escapes them.
"""

from __future__ import annotations

import re

from .._files import EXISTS, replace_controls

__all__ = ["one_line", "plural", "shown"]


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


def one_line(error: BaseException) -> str:
    """An error's message on one line, control characters escaped; local file errors as
    `PATH: reason`."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, FileExistsError) and error.strerror == EXISTS:
        text = f"{error.filename}: exists (pass --overwrite to replace it)"
    elif isinstance(error, OSError) and error.filename is not None:
        text = f"{error.filename}: {error.strerror or error}"
    else:
        text = str(error) or type(error).__name__
    return shown(re.sub(r"\s*\n\s*", " ", text).strip())
