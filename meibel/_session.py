"""Sessions bound to their client: a conversation in a few lines.

`client.agents.create_session(...)` and `client.sessions.get_session(...)` return a Session (an
AsyncSession on the async client) wrapping the API's response. It is thin: every method calls the
generated operation on the same client, and every field of the response is readable on it.

    session = client.agents.create_session(agent_id="agent_123")
    print(session.chat("What changed in Q4?").message)
    for event in session.stream("Summarise this", files=["q4.pdf"]):
        ...
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    import httpx2

    from ._chat import AsyncChatStream, ChatStream, Partials
    from ._generated import (
        AgentExecutionDetailsResponse,
        AsyncResources,
        ChatMessageResponse,
        CreateSessionResponse,
        SessionMessagesResponse,
        SyncResources,
    )
    from ._multipart import FileInput

__all__ = ["AsyncSession", "Session"]

ModelT = TypeVar("ModelT", bound="CreateSessionResponse | AgentExecutionDetailsResponse")


def _request(message: str, options: dict[str, Any]) -> Any:
    from ._generated import model

    return model("ChatMessageRequest")(user_message=message, **options)


def _stream_request(message: str, partials: object, options: dict[str, Any]) -> Any:
    from ._chat import check_partials

    check_partials(partials)  # before anything is sent
    return _request(message, options)


class _SessionBase(Generic[ModelT]):
    __slots__ = ("model",)

    def __init__(self, model: ModelT) -> None:
        self.model = model

    @property
    def id(self) -> str:
        """The session's id."""
        return self.model.id

    @property
    def agent_id(self) -> str | None:
        """The agent the session belongs to."""
        value = self.model.agent_id
        return value if isinstance(value, str) else None

    @property
    def created_at(self) -> datetime.datetime | None:
        """When the session was created, or None where the API does not say."""
        value = self.model.created_at
        return value if isinstance(value, datetime.datetime) else None

    def __getattr__(self, name: str) -> Any:
        # Every other field of the API's response (status, messages, token_usage, ...).
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.model, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, agent_id={self.agent_id!r})"


class Session(_SessionBase[ModelT]):
    """A session bound to a MeibelClient."""

    __slots__ = ("_client",)

    def __init__(self, client: SyncResources, model: ModelT) -> None:
        # Typed by the namespaces it calls, not as MeibelClient: the client module imports this.
        super().__init__(model)
        self._client = client

    def chat(
        self,
        message: str,
        *,
        timeout: float | httpx2.Timeout | NotGiven | None = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
        **options: Any,
    ) -> ChatMessageResponse:
        """Send `message` and wait for the reply. Options: ChatMessageRequest's other fields;
        `timeout=` and `deadline=` as on every call."""
        body = _request(message, options)
        return self._client.sessions.send_chat_message(
            session_id=self.id, body=body, timeout=timeout, deadline=deadline
        )

    def stream(
        self,
        message: str,
        *,
        files: FileInput | Sequence[FileInput] | None = None,
        partials: Partials = "incremental",
        timeout: float | httpx2.Timeout | NotGiven | None = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
        **options: Any,
    ) -> ChatStream:
        """Send `message` (with any attachments) and stream the reply.

        `partials`: how the server's partial_response messages relate, "incremental" (each the
        next piece, as the spec says) or "cumulative" (each all text so far); see meibel._chat.
        `deadline=` bounds the whole stream (none unless given), `timeout=` each step.
        """
        body = _stream_request(message, partials, options)
        return self._client.sessions.send_chat_message_stream(
            session_id=self.id,
            body=body,
            files=files,
            partials=partials,
            timeout=timeout,
            deadline=deadline,
        )

    def messages(self) -> SessionMessagesResponse:
        """The conversation so far, oldest first (iterable, with len())."""
        return self._client.sessions.get_session_messages(session_id=self.id)

    def refresh(self) -> Session[AgentExecutionDetailsResponse]:
        """The session's current details: status, token usage, tool activity, artifacts."""
        return self._client.sessions.get_session(session_id=self.id)


class AsyncSession(_SessionBase[ModelT]):
    """A session bound to an AsyncMeibelClient: the same methods, awaitable."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncResources, model: ModelT) -> None:
        super().__init__(model)
        self._client = client

    async def chat(
        self,
        message: str,
        *,
        timeout: float | httpx2.Timeout | NotGiven | None = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
        **options: Any,
    ) -> ChatMessageResponse:
        """Send `message` and wait for the reply. Options: ChatMessageRequest's other fields;
        `timeout=` and `deadline=` as on every call."""
        body = _request(message, options)
        return await self._client.sessions.send_chat_message(
            session_id=self.id, body=body, timeout=timeout, deadline=deadline
        )

    async def stream(
        self,
        message: str,
        *,
        files: FileInput | Sequence[FileInput] | None = None,
        partials: Partials = "incremental",
        timeout: float | httpx2.Timeout | NotGiven | None = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
        **options: Any,
    ) -> AsyncChatStream:
        """Send `message` (with any attachments) and stream the reply.

        `partials`: how the server's partial_response messages relate, "incremental" (each the
        next piece, as the spec says) or "cumulative" (each all text so far); see meibel._chat.
        `deadline=` bounds the whole stream (none unless given), `timeout=` each step.
        """
        body = _stream_request(message, partials, options)
        return await self._client.sessions.send_chat_message_stream(
            session_id=self.id,
            body=body,
            files=files,
            partials=partials,
            timeout=timeout,
            deadline=deadline,
        )

    async def messages(self) -> SessionMessagesResponse:
        """The conversation so far, oldest first (iterable, with len())."""
        return await self._client.sessions.get_session_messages(session_id=self.id)

    async def refresh(self) -> AsyncSession[AgentExecutionDetailsResponse]:
        """The session's current details: status, token usage, tool activity, artifacts."""
        return await self._client.sessions.get_session(session_id=self.id)
