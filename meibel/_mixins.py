"""The overlay's mixins: hand-written classes the generated ones inherit. The one place to add one.

NAMESPACE_MIXINS: namespace -> (sync, async) mixin pairs, bases of the namespace's two classes
(`client.file_upload.upload_folder`); MODEL_MIXINS: model (its spec name) -> mixin, a base of
the model (the vendor guide's names). `make regen` prints them as bases (the templates read the
class names through scripts/plan.py), meibel/_resource.py re-exports them to the generated code
(this module loads with the first class that uses one), and scripts/overlay_checks.py refuses a
spec in which a generated field or method would shadow one of their attributes.
"""

from __future__ import annotations

from typing import Final

from ._folder_upload import AsyncFolderUploads, FolderUploads
from ._model_extras import (
    ArtifactExtras,
    ChatMessageResponseExtras,
    CreatedSessionExtras,
    SessionDetailsExtras,
    SessionMessageItemExtras,
)

__all__ = [
    "MODEL_MIXINS",
    "NAMESPACE_MIXINS",
    "ArtifactExtras",
    "AsyncFolderUploads",
    "ChatMessageResponseExtras",
    "CreatedSessionExtras",
    "FolderUploads",
    "SessionDetailsExtras",
    "SessionMessageItemExtras",
]

NAMESPACE_MIXINS: Final[dict[str, tuple[tuple[type, type], ...]]] = {
    "file_upload": ((FolderUploads, AsyncFolderUploads),),
}

MODEL_MIXINS: Final[dict[str, type]] = {
    "AgentExecutionDetailsResponse": SessionDetailsExtras,
    "Artifact": ArtifactExtras,
    "ChatMessageResponse": ChatMessageResponseExtras,
    "CreateSessionResponse": CreatedSessionExtras,
    "SessionMessageItem": SessionMessageItemExtras,
}
