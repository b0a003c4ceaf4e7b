"""Every model of the API (request bodies, responses, events), as generated from the spec.

`from meibel.models import ChatMessageRequest` loads only that model's module.
"""

from typing import TYPE_CHECKING

import meibel_api_v2.models as _generated

if TYPE_CHECKING:
    from meibel_api_v2.models import *  # noqa: F403

__all__ = _generated.__all__


def __getattr__(name: str) -> object:
    return getattr(_generated, name)


def __dir__() -> list[str]:
    return sorted(__all__)
