"""What the fake records and what tests script: plain dataclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload
from urllib.parse import parse_qsl

__all__ = [
    "FakeSession",
    "FilePart",
    "Headers",
    "ParseJob",
    "RecordedChat",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "Upload",
    "split_target",
]


_T = TypeVar("_T")


class Headers(dict[str, str]):
    """Request headers: names lowercased, looked up in any case; a repeated header's values are
    joined with ", " (as HTTP reads them)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        for name, value in items:
            key = name.lower()
            previous = super().get(key)
            super().__setitem__(key, value if previous is None else f"{previous}, {value}")

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name.lower() if isinstance(name, str) else name)

    @overload
    def get(self, name: str, default: None = None, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        return super().get(name.lower(), default)


@dataclass(frozen=True)
class FilePart:
    """One part of a multipart request: a file, or a plain field when `filename` is None."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class RecordedRequest:
    """A request as a server received it (FakeMeibel, or the test suite's recording server).

    `path` is the full path, `/v2/...` included, without the query string; `target` is the path
    and query string exactly as sent; `body` the raw bytes. `operation_id`, `json`, `form` and
    `files` are what FakeMeibel read from it (a plain recording leaves them empty).
    """

    method: str
    path: str
    query: dict[str, str]
    operation_id: str | None = None
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    target: str = ""

    @classmethod
    def received(cls, method: str, target: str, headers: Headers, body: bytes) -> RecordedRequest:
        """A plain recording: the path and query read from `target`, the body left unparsed."""
        path, query = split_target(target)
        return cls(method, path, query, headers=headers, body=body, target=target)


def split_target(target: str) -> tuple[str, dict[str, str]]:
    """A request target's path and its query values (the last of a repeated name wins)."""
    path, _, query_string = target.partition("?")
    return path, dict(parse_qsl(query_string, keep_blank_values=True))


@dataclass(frozen=True)
class RecordedChat:
    """One chat message sent to a session (streaming or not)."""

    session_id: str
    user_message: str
    stream: bool
    form: dict[str, str] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)


@dataclass(frozen=True)
class ToolCall:
    """A tool call for a scripted reply: streamed as tool_call then tool_result events."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Upload:
    """Content uploaded to a datasource (one uploadContent call)."""

    datasource_id: str
    upload_id: str
    files: list[FilePart]


@dataclass
class ParseJob:
    """A parseDocument job: `status` follows its job's (see FakeMeibel.jobs and job_steps)."""

    job_id: str
    file: FilePart
    status: str = "queued"


@dataclass
class FakeSession:
    """A chat session: `messages` holds SessionMessageItem-shaped dicts, oldest first."""

    id: str
    agent_id: str
    created_at: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)
    status: str = "active"


@dataclass(frozen=True)
class Reply:
    """A scripted chat reply (FakeMeibel.reply)."""

    text: str
    sources: list[dict[str, Any]] | None
    follow_up_questions: list[str] | None
    tool_calls: list[ToolCall]
    pause_after_first: float
    drop_after: int | None
