"""Every model of the API (request bodies, responses, events), as generated from the spec.

`from meibel.models import ChatMessageRequest` loads only that model's module.
"""

from typing import TYPE_CHECKING

from ._generated import models

if TYPE_CHECKING:
    # For type checkers only: the generated models are this module's names.
    from meibel_api_v2.models import *  # noqa: F403

__all__ = models().__all__


def __getattr__(name: str) -> object:
    return getattr(models(), name)


def __dir__() -> list[str]:
    return sorted(__all__)
