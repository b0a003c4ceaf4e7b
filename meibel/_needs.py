"""What the hand-written package needs from the spec, declared as data next to the code.

`make regen` checks every entry against the new spec before generating (scripts/overlay_checks.py)
and refuses a spec bump that would break one, naming the model, the field and the file that needs
it. A field or operation read by hand-written code belongs here; the templates read MODEL_MIXINS
and SESSION_MODELS from here too, so there is one list.

Nothing here is imported at run time by the client.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "KINDS",
    "MODEL_FIELDS",
    "MODEL_MIXINS",
    "NAMESPACE_MIXINS",
    "SESSION_MODELS",
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
    # The waiters read each job's state, and its error message where the model has one; the
    # terminal states are OUTCOMES there and INGEST_OUTCOMES in _WAITERS (the spec's IngestStatus).
    FieldNeed("DocumentStatus", "status", _WAITING),
    FieldNeed("DocumentStatus", "error", _WAITING),
    FieldNeed("DeepTransformJob", "status", _WAITING),
    FieldNeed("DeepTransformJob", "error", _WAITING),
    FieldNeed("IngestStatusResponse", "status", _WAITING),
    FieldNeed("ScoringJobResponse", "status", _WAITING),
    FieldNeed("ScoringJobResponse", "explanation", _WAITING),
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
    KindNeed("getDocumentStatus", "plain", _WAITERS),
    KindNeed("streamDocumentTrace", "stream", _WAITERS),
    KindNeed("getDeepTransformStatus", "plain", _WAITERS),
    KindNeed("getIngestStatus", "plain", _WAITERS),
    KindNeed("getScoringJob", "plain", _WAITERS),
    KindNeed("streamDownloadProgress", "stream", _WAITERS),
    KindNeed("streamUploadProgress", "stream", _WAITERS),
)

# Models that carry the vendor guide's vocabulary: model -> mixin class in meibel/_model_extras.py.
MODEL_MIXINS = {
    "AgentExecutionDetailsResponse": "SessionDetailsExtras",
    "Artifact": "ArtifactExtras",
    "ChatMessageResponse": "ChatMessageResponseExtras",
    "CreateSessionResponse": "CreatedSessionExtras",
    "SessionMessageItem": "SessionMessageItemExtras",
}

# Hand-written methods of a namespace (waiters, folder uploads): namespace -> mixin class names,
# sync then async, each in its module (meibel/_resource.py re-exports them to the templates).
NAMESPACE_MIXINS: dict[str, list[tuple[str, str]]] = {
    "confidence_scoring": [("ConfidenceScoringWaiters", "AsyncConfidenceScoringWaiters")],
    "datasource_downloads": [("DatasourceDownloadsWaiters", "AsyncDatasourceDownloadsWaiters")],
    "documents": [("DocumentsWaiters", "AsyncDocumentsWaiters")],
    "file_upload": [
        ("FileUploadWaiters", "AsyncFileUploadWaiters"),
        ("FolderUploads", "AsyncFolderUploads"),
    ],
    "ingest": [("IngestWaiters", "AsyncIngestWaiters")],
}

# Answers returned wrapped in a Session (AsyncSession) bound to the client (meibel/_session.py).
SESSION_MODELS = ("AgentExecutionDetailsResponse", "CreateSessionResponse")
