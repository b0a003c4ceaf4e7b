"""What the fake records and what tests script: plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FakeSession",
    "FilePart",
    "ParseJob",
    "RecordedChat",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "Upload",
]


@dataclass(frozen=True)
class FilePart:
    """One file of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the fake received it. `path` is the full path, `/v2/...` included."""

    method: str
    path: str
    query: dict[str, str]
    operation_id: str | None = None
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


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


@dataclass(frozen=True)
class Reply:
    """A scripted chat reply (FakeMeibel.reply)."""

    text: str
    sources: list[dict[str, Any]] | None
    follow_up_questions: list[str] | None
    tool_calls: list[ToolCall]
    pause_after_first: float
    drop_after: int | None
