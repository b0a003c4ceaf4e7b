"""Reading requests: the body (JSON or multipart), query values, and FastAPI-style 422 details."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

from ._answer import HTTPError
from ._records import FilePart

__all__ = [
    "Body",
    "flag",
    "integer",
    "missing",
    "page",
    "parse_body",
    "parse_multipart",
]

BAD_BODY = "There was an error parsing the body"


@dataclass
class Body:
    """A request body: JSON, or a multipart form's fields and files."""

    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)


def parse_body(content_type: str, body: bytes) -> Body:
    """The body by its content type; raises HTTPError(400) when it cannot be read."""
    try:
        if content_type.startswith("multipart/form-data"):
            parts = parse_multipart(content_type, body)
            fields = [part for part in parts if part.filename is None]
            files = [part for part in parts if part.filename is not None]
            return Body(form={part.field: part.data.decode() for part in fields}, files=files)
        return Body(json=json.loads(body) if body else None)
    except ValueError:
        raise HTTPError(400, BAD_BODY) from None


def parse_multipart(content_type: str, body: bytes) -> list[FilePart]:
    """Every part of a multipart/form-data body, in order, read by python-multipart (the parser
    Starlette, and so FastAPI, uses). Raises ValueError when the body cannot be read."""
    message = Message()
    message["Content-Type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str):
        raise ValueError(f"no boundary in {content_type!r}")
    parts: list[FilePart] = []
    headers: dict[str, str] = {}
    state: dict[str, bytearray] = {"field": bytearray(), "value": bytearray(), "data": bytearray()}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        headers[state["field"].decode().lower()] = state["value"].decode("utf-8")
        state["field"], state["value"] = bytearray(), bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["data"] += data[start:end]

    def on_part_end() -> None:
        _, params = parse_options_header(headers.get("content-disposition", "").encode())
        name = params.get(b"name", b"").decode("utf-8")
        filename = params.get(b"filename")
        parts.append(
            FilePart(
                name,
                None if filename is None else filename.decode("utf-8"),
                headers.get("content-type"),
                bytes(state["data"]),
            )
        )
        headers.clear()
        state["data"] = bytearray()

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(body)
    parser.finalize()
    return parts


def missing(name: str, where: str = "body") -> dict[str, Any]:
    """FastAPI's 422 detail item for a required field that was not sent."""
    return {"type": "missing", "loc": [where, name], "msg": "Field required", "input": None}


def integer(query: dict[str, str], name: str, default: int) -> int:
    """A query parameter as an int (422 as FastAPI would when it is not one)."""
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        detail = {
            "type": "int_parsing",
            "loc": ["query", name],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": value,
        }
        raise HTTPError(422, [detail]) from None


def flag(query: dict[str, str], name: str, default: bool = False) -> bool:
    """A query parameter as a bool (FastAPI's spellings)."""
    value = query.get(name)
    if value is None or value == "":
        return default
    return value.lower() in ("true", "1", "yes", "on")


def page(
    items: list[Any], query: dict[str, str], default_limit: int | None
) -> tuple[list[Any], int]:
    """The `offset`/`limit` slice of `items`, and the offset used."""
    offset = max(0, integer(query, "offset", 0))
    limit = integer(query, "limit", default_limit if default_limit is not None else len(items))
    return items[offset : offset + max(0, limit)], offset
