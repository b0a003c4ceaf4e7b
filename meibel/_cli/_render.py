"""How a generated command prints what its operation answered, in `table`, `json` or `jsonl`.

A table on a terminal, JSON when piped, unless `--output` (or `--json`) says. Lists and streams
print as they arrive: a table row, a JSON array element or a JSON line per item or event, each
page flushed, so `| head` stops the fetching (OutputClosed). A whole answer on a terminal is a
rich table when rich is installed (the `[cli]` extra), else a plain one. Text goes through
`shown()`: nothing the server sent reaches the terminal as a control character.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from ._output import Output, jsonable, table, write
from ._text import shown

__all__ = ["FORMATS", "answer", "chosen_format", "events", "items"]

FORMATS = ("table", "json", "jsonl")
# A table shows the scalar fields of a list's items, the id first, at most this many...
MAX_COLUMNS = 6
# ...and cuts a longer cell; --output json carries every field whole.
MAX_CELL = 60


def chosen_format(out: Output) -> str:
    """The format asked for, else a table on a terminal and JSON into a pipe or a file."""
    if out.format:
        return out.format
    isatty = getattr(out.stdout, "isatty", None)
    return "table" if isatty is not None and isatty() else "json"


def _cell(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = shown(text)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _columns(first: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in first:
        for key, value in row.items():
            if key not in names and not isinstance(value, dict | list):
                names.append(key)
    names.sort(key=lambda name: name != "id")  # stable: the id first, the rest as they come
    return names[:MAX_COLUMNS] or list(first[0])[:MAX_COLUMNS]


def _line(document: object) -> str:
    return json.dumps(document, default=str) + "\n"


def items(out: Output, pages: Iterable[list[Any]], *, empty: str = "nothing") -> None:
    """A list printed page by page: table rows, one JSON array, or JSON lines."""
    fmt = chosen_format(out)
    dicts = ([jsonable(item) for item in page] for page in pages)
    if fmt == "jsonl":
        for page in dicts:
            write(out.stdout, "".join(_line(item) for item in page))
        return
    if fmt == "json":
        out.rows([], dicts, lambda item: [], empty=empty, json_=True)
        return
    rest: Iterator[list[Any]] = iter(dicts)
    first: list[Any] = []
    for page in rest:
        if page:
            first = page
            break
    if not first:
        write(out.stdout, f"{empty}\n")
        return
    headers = _columns([row for row in first if isinstance(row, dict)] or [{"value": first[0]}])

    def cells(row: Any) -> list[str]:
        row = row if isinstance(row, dict) else {"value": row}
        return [_cell(row.get(name, "")) for name in headers]

    upper = [name.upper() for name in headers]
    out.rows(upper, itertools.chain([first], rest), cells, empty=empty, json_=False)


def _list_field(document: object) -> str | None:
    """The one field of an answer that lists objects (`datasources`, `items`), if it has one."""
    if not isinstance(document, dict):
        return None
    fields = [
        key
        for key, value in document.items()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ]
    return fields[0] if len(fields) == 1 else None


def answer(out: Output, value: object) -> None:
    """A whole answer: a JSON document, its list's items as JSON lines, or a table."""
    document = jsonable(value)
    fmt = chosen_format(out)
    listed = _list_field(document)
    if fmt == "json":
        write(out.stdout, json.dumps(document, indent=2, default=str) + "\n")
    elif fmt == "jsonl":
        rows = document[listed] if listed and isinstance(document, dict) else [document]
        write(out.stdout, "".join(_line(row) for row in rows))
    elif listed and isinstance(document, dict):
        rows = document[listed]
        headers = _columns(rows)
        _table(
            out,
            [h.upper() for h in headers],
            [[_cell(r.get(h, "")) for h in headers] for r in rows],
        )
    elif isinstance(document, dict):
        _table(out, ["FIELD", "VALUE"], [[shown(key), _cell(v)] for key, v in document.items()])
    else:
        write(out.stdout, shown(document if document is not None else "") + "\n")


def _table(out: Output, headers: list[str], rows: list[list[str]]) -> None:
    isatty = getattr(out.stdout, "isatty", None)
    if isatty is not None and isatty():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            grid = Table(*headers, box=None, header_style="bold")
            for row in rows:
                grid.add_row(*row)
            Console(file=out.stdout, markup=False, emoji=False, highlight=False).print(grid)
            return
    write(out.stdout, "".join(f"{line}\n" for line in table(headers, rows)))


def _event(event: Any) -> dict[str, Any]:
    document = {
        "type": getattr(event, "type", "event"),
        "data": jsonable(getattr(event, "data", None)),
    }
    if delta := getattr(event, "delta", ""):
        document["delta"] = delta
    return document


def events(out: Output, stream: Iterable[Any]) -> None:
    """A stream's events as they come: on a terminal a chat's text as it grows and other events
    as `TYPE  DATA` lines; else one JSON document per line, for `json` too (a stream need not
    end, so it is never held back to close an array)."""
    table_ = chosen_format(out) == "table"
    in_text = False  # a chat's text was written, its line not ended yet
    for event in stream:
        document = _event(event)
        if not table_:
            write(out.stdout, _line(document))
        elif "delta" in document:
            write(out.stdout, shown(document["delta"], lines=True))
            in_text = True
        else:
            data = json.dumps(document["data"], default=str)
            end, in_text = "\n" if in_text else "", False
            write(out.stdout, f"{end}{shown(document['type'])}  {shown(data)}\n")
    if in_text:
        write(out.stdout, "\n")
