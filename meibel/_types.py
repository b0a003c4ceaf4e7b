"""Small public types shared by every method: the per-call options' "not given" marker."""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["NOT_GIVEN", "NotGiven"]


class NotGiven:
    """The default of a per-call option the caller did not pass (`None` can be a real value).

    `timeout=None` means "no timeout"; `timeout=NOT_GIVEN`, the default, means "the client's".
    """

    __slots__ = ()
    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()
"""The one `NotGiven`: a per-call option left to the client's setting."""
