"""What the hand-written package needs from the spec, declared as data next to the code.

`make regen` checks every entry against the new spec before generating (scripts/overlay_checks.py)
and refuses a spec bump that would break one, naming the model, the field and the file that needs
it. A field or operation read by hand-written code belongs here; the templates read MODEL_MIXINS,
NAMESPACE_MIXINS (both named from meibel/_mixins.py, the one registry of mixins) and
SESSION_MODELS from here too, so there is one list. What the waiters need is derived from their
table (meibel/_waiters.py WAITERS), and overlay_checks checks more of it than existence: the state
field's type and enum values, the error field's type, the status operation's answer and ids.

Nothing here is imported at run time by the client.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._mixins import MODEL_MIXINS as _MODEL_MIXIN_CLASSES
from ._mixins import NAMESPACE_MIXINS as _NAMESPACE_MIXIN_CLASSES
from ._waiters import WAITERS

__all__ = [
    "KINDS",
    "MODEL_FIELDS",
    "MODEL_MIXINS",
    "NAMESPACE_MIXINS",
    "SESSION_MODELS",
    "WAITERS",
    "FieldNeed",
    "KindNeed",
]


@dataclass(frozen=True)
class FieldNeed:
    """`model.field` (the spec's names) must exist; `used_by` is the file that reads it."""

    model: str
    field: str
    used_by: str


@dataclass(frozen=True)
class KindNeed:
    """The operation must exist and be planned as `kind` (scripts/plan.py)."""

    operation_id: str
    kind: str
    used_by: str


_MODEL_EXTRAS = "meibel/_model_extras.py"
_SESSION = "meibel/_session.py"
_CHAT = "meibel/_chat.py"
_FAKE_DOWNLOADS = "meibel/testing/_downloads.py"
_WAITERS = "meibel/_waiters.py"
_WAITING = "meibel/_waiting.py"

MODEL_FIELDS = (
    FieldNeed("CreateSessionResponse", "session_id", _MODEL_EXTRAS),
    FieldNeed("AgentExecutionDetailsResponse", "agent_id", _SESSION),
    FieldNeed("ChatMessageResponse", "response", _MODEL_EXTRAS),
    FieldNeed("ChatMessageResponse", "assistant_response", _MODEL_EXTRAS),
    FieldNeed("ChatResponse", "message", _MODEL_EXTRAS),
    FieldNeed("ChatResponse", "sources", _MODEL_EXTRAS),
    FieldNeed("SessionMessageItem", "type", _MODEL_EXTRAS),
    FieldNeed("Artifact", "filename", _MODEL_EXTRAS),
    FieldNeed("Artifact", "content", _MODEL_EXTRAS),
    FieldNeed("Artifact", "mime_type", _MODEL_EXTRAS),
    FieldNeed("Artifact", "storage_url", _MODEL_EXTRAS),
    FieldNeed("ChatMessageRequest", "user_message", _SESSION),
    FieldNeed("ConnectedEvent", "data", _CHAT),
    FieldNeed("PartialResponseEvent", "data", _CHAT),
    FieldNeed("CompletionEvent", "data", _CHAT),
    # The waiters read each job's state, and its error message where the model has one.
    *(
        FieldNeed(waiter.model, name, _WAITING)
        for waiter in WAITERS
        if waiter.model is not None
        for name in (waiter.state, waiter.error)
        if name is not None
    ),
)

KINDS = (
    KindNeed("createSession", "session", _SESSION),
    KindNeed("getSession", "session", _SESSION),
    KindNeed("sendChatMessage", "plain", _SESSION),
    KindNeed("sendChatMessageStream", "chat_stream", _SESSION),
    KindNeed("getSessionMessages", "plain", _SESSION),
    # The fake answers these with files, as Downloads read them (docs/downloads.md).
    KindNeed("downloadFile", "download", _FAKE_DOWNLOADS),
    KindNeed("processDownload", "download", _FAKE_DOWNLOADS),
    KindNeed("getDocumentResult", "download", _FAKE_DOWNLOADS),
    KindNeed("downloadDeepTransformArtifact", "download", _FAKE_DOWNLOADS),
    # What the waiters call: status operations, and the progress streams they follow.
    *(
        KindNeed(operation_id, kind, _WAITERS)
        for waiter in WAITERS
        for operation_id, kind in ((waiter.status, "plain"), (waiter.stream, "stream"))
        if operation_id is not None
    ),
)

# Models that carry the vendor guide's vocabulary: model -> mixin class name (meibel/_mixins.py).
MODEL_MIXINS = {model: mixin.__name__ for model, mixin in _MODEL_MIXIN_CLASSES.items()}

# Hand-written methods of a namespace (folder uploads): namespace -> mixin class names, sync then
# async (meibel/_mixins.py, re-exported by meibel/_resource.py to the templates).
NAMESPACE_MIXINS: dict[str, list[tuple[str, str]]] = {
    namespace: [(sync.__name__, async_.__name__) for sync, async_ in pairs]
    for namespace, pairs in _NAMESPACE_MIXIN_CLASSES.items()
}

# Answers returned wrapped in a Session (AsyncSession) bound to the client (meibel/_session.py).
SESSION_MODELS = ("AgentExecutionDetailsResponse", "CreateSessionResponse")
