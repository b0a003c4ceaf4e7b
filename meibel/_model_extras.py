"""The vendor guide's vocabulary on the spec's models.

The guide (docs.meibel.ai, "Sessions & Chat") uses names the spec does not have: `session.id`,
`session.created_at`, `response.message`, `response.citations`, `message.role`. The generated
models named in `openapi/templates/meibel.jinja` inherit one of these mixins, so those names are
real, typed attributes beside every spec field. Mixins hold no state of their own except what the
client binds after parsing (`_meibel_bind`): the path parameters the API does not echo back.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._files import AtomicFile, check_target, resolve_destination, safe_name

if TYPE_CHECKING:
    import httpx2

    from ._generated import ChatResponse, Source

__all__ = [
    "ArtifactExtras",
    "ChatMessageResponseExtras",
    "CreatedSessionExtras",
    "SessionDetailsExtras",
    "SessionMessageItemExtras",
]

Role = Literal["user", "assistant", "tool"]


def _timestamp(value: object) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


class _Bound:
    """Keeps the request's path parameters for attributes the response does not carry."""

    __slots__ = ("_meibel_request",)

    if TYPE_CHECKING:
        additional_properties: dict[str, Any]

    def _meibel_bind(self, client: object, request: dict[str, Any]) -> None:
        self._meibel_request = request

    def _requested(self, name: str) -> str | None:
        value = getattr(self, "_meibel_request", {}).get(name)
        return value if isinstance(value, str) else None

    @property
    def created_at(self) -> datetime.datetime | None:
        """When the session was created, or None where the API does not say."""
        extra = self.additional_properties
        return _timestamp(extra.get("created_at", extra.get("start_time")))


class CreatedSessionExtras(_Bound):
    """`createSession` answers only `session_id`: `id` and `agent_id` complete it."""

    __slots__ = ()

    if TYPE_CHECKING:
        session_id: str

    @property
    def id(self) -> str:
        """The session's id (the spec's `session_id`)."""
        return self.session_id

    @property
    def agent_id(self) -> str | None:
        """The agent the session belongs to: the API's value, else the one it was created for."""
        value = self.additional_properties.get("agent_id")
        return value if isinstance(value, str) else self._requested("agent_id")


class SessionDetailsExtras(_Bound):
    """`getSession` answers without the session's own id: `id` is the one asked for."""

    __slots__ = ()

    @property
    def id(self) -> str:
        """The session's id (the API's, else the one asked for)."""
        value = self.additional_properties.get("session_id", self.additional_properties.get("id"))
        return value if isinstance(value, str) else self._requested("session_id") or ""


class ChatMessageResponseExtras:
    """`message` and `citations`, the guide's names for the structured response's fields."""

    __slots__ = ()

    if TYPE_CHECKING:
        response: ChatResponse
        assistant_response: str

    @property
    def message(self) -> str:
        """The assistant's reply (`response.message`, else `assistant_response`)."""
        text = self.response.message
        return text if isinstance(text, str) and text else self.assistant_response

    @property
    def citations(self) -> list[Source]:
        """The sources the reply cites (`response.sources`); empty when there are none.

        The same meaning as `citations` on a chat stream's "citations" event and its ChatResult.
        """
        sources = self.response.sources
        return list(sources) if sources is not None else []


class SessionMessageItemExtras:
    """`role`, derived from the item's `type`."""

    __slots__ = ()

    if TYPE_CHECKING:
        type_: str

    @property
    def role(self) -> Role:
        """ "user", "assistant" or "tool": what kind of participant wrote this item."""
        kind = self.type_.lower()
        if "tool" in kind:
            return "tool"
        if "user" in kind or kind == "human":
            return "user"
        return "assistant"


def _is_text(mime_type: str) -> bool:
    base = mime_type.split(";", 1)[0].strip().lower()
    return base.startswith("text/") or base.endswith(("json", "xml", "csv", "markdown", "yaml"))


class ArtifactExtras:
    """`save()`: a chat artifact to a file, from its inline `content` or its `storage_url`."""

    __slots__ = ()

    if TYPE_CHECKING:
        filename: str
        mime_type: str
        content: str | None
        storage_url: str | None

    def save(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        overwrite: bool = False,
        http_client: httpx2.Client | None = None,
    ) -> Path:
        """Write the artifact to a file and return its path.

        Without `path`, or with a directory (one that exists, or a path ending in "/", created
        if missing), the file is named after the server's `filename` made safe: only its base
        name (never a path the server chose), control characters replaced by "_", dots and
        spaces at either end removed (UnsafeFilenameError if nothing is left). A file `path` is
        used as given. An existing file is replaced only with `overwrite=True` (else
        FileExistsError), and only once the new content is complete; a link, FIFO, device or
        directory in the way is never replaced.

        Inline content of a textual MIME type is written as UTF-8; other inline content is
        base64-decoded (as the API sends binary inline), or written as UTF-8 if it is not
        base64. A `storage_url` is downloaded in chunks, without the API key (a storage URL is
        another origin and carries its own authorisation).
        """
        if path is None:
            target, make_dirs = Path(safe_name(self.filename)), False
        else:
            target, make_dirs = resolve_destination(path, lambda: self.filename)
        content = self.content
        if isinstance(content, str):
            data = content.encode("utf-8")
            if not _is_text(self.mime_type):
                with contextlib.suppress(binascii.Error, ValueError):
                    data = base64.b64decode(content, validate=True)
            with AtomicFile(target, overwrite=overwrite, make_dirs=make_dirs) as file:
                file.write(data)
            return target
        url = self.storage_url
        if not isinstance(url, str) or not url:
            raise ValueError(f"artifact {self.filename!r} has neither content nor a storage_url")
        import httpx2

        check_target(target, overwrite=overwrite)  # before downloading anything
        client = http_client or httpx2.Client(follow_redirects=True)
        try:
            with client.stream("GET", url) as response:
                response.raise_for_status()
                with AtomicFile(target, overwrite=overwrite, make_dirs=make_dirs) as file:
                    for chunk in response.iter_bytes():
                        file.write(chunk)
        finally:
            if http_client is None:
                client.close()
        return target
