"""The generated package (`meibel_api_v2`) as this one sees it: the only module that imports it.

Every hand-written module takes generated names from here, so what the overlay uses of the
generated code is this one list (tests/structure/test_boundary.py checks that nothing else imports
it).
Model classes are imported for type checking only; at run time `model(name)` loads one.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from meibel_api_v2 import __spec_version__ as __api_version__
from meibel_api_v2.api import AsyncResources, SyncResources

if TYPE_CHECKING:
    from meibel_api_v2.models import AgentExecutionDetailsResponse as AgentExecutionDetailsResponse
    from meibel_api_v2.models import ChatMessageRequest as ChatMessageRequest
    from meibel_api_v2.models import ChatMessageResponse as ChatMessageResponse
    from meibel_api_v2.models import ChatResponse as ChatResponse
    from meibel_api_v2.models import CompletionEvent as CompletionEvent
    from meibel_api_v2.models import (
        CompletionEventDataDataCitationsItem as CompletionEventDataDataCitationsItem,
    )
    from meibel_api_v2.models import (
        CompletionEventDataDataSourcesItem as CompletionEventDataDataSourcesItem,
    )
    from meibel_api_v2.models import ContentItem as ContentItem
    from meibel_api_v2.models import CreateSessionResponse as CreateSessionResponse
    from meibel_api_v2.models import ListContentResponse as ListContentResponse
    from meibel_api_v2.models import SessionMessagesResponse as SessionMessagesResponse
    from meibel_api_v2.models import Source as Source
    from meibel_api_v2.models import TriggerIngestResponse as TriggerIngestResponse
    from meibel_api_v2.models import UploadContentResponse as UploadContentResponse
    from meibel_api_v2.types import ModelBase as ModelBase
    from meibel_api_v2.types import Unset as Unset

__all__ = [
    "PACKAGE",
    "AsyncResources",
    "SyncResources",
    "__api_version__",
    "is_unset",
    "known",
    "model",
    "models",
    "path_segment",
]

PACKAGE = "meibel_api_v2"


def models() -> Any:
    """The generated models package (it loads each model on first access)."""
    return importlib.import_module(f"{PACKAGE}.models")


def model(name: str) -> Any:
    """The generated model class `name`."""
    return getattr(models(), name)


@functools.cache
def _unset() -> object:
    # Loaded on first use: meibel_api_v2.types imports attrs, which `import meibel` need not pay.
    return importlib.import_module(f"{PACKAGE}.types").UNSET


def is_unset(value: object) -> bool:
    """Whether `value` is the generated code's marker for a value not given.

    Only an operation's optional parameters default to it: a model's field reads None instead.
    """
    return value is _unset()


def known(value: Any) -> Any:
    """`value`, or None for the marker of a value not given (see is_unset)."""
    return None if value is _unset() else value


def path_segment(name: str, value: object) -> str:
    """`value` as the generated code sends a path id, or its ValueError/TypeError naming `name`."""
    segment: str = importlib.import_module(f"{PACKAGE}.types").path_segment(name, value)
    return segment
