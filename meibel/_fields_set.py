"""`meibel.is_set`: whether a model's field was given or received (an absent one reads None)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._generated import ModelBase

__all__ = ["is_set"]


def is_set(model: ModelBase, name: str) -> bool:
    """Whether field `name` (its Python name) of a model is set: `name in model.fields_set`.

    A required field always is; an optional one when it is not None, or when it was given as None
    (to the constructor, or as null in the data the model was read from). A field left out reads
    None and is not set. AttributeError if the model has no field `name`; TypeError if `model` is
    not a model of `meibel.models` (a dict, say) or `name` not a str.
    """
    cls = type(model)
    required = getattr(cls, "_meibel_required", None)
    if not isinstance(required, tuple):
        hint = (
            "; for a dict, `name in the_dict` says whether it has a key"
            if isinstance(model, dict)
            else ""
        )
        raise TypeError(
            f"is_set() takes a model of meibel.models (and a field name), not {cls.__name__}{hint}"
        )
    if not isinstance(name, str):
        raise TypeError(f"is_set() takes the field's Python name as a str, not {name!r}")
    if name not in required and name not in cls._meibel_optional:
        raise AttributeError(f"{cls.__name__} has no field {name!r}")
    return name in model.fields_set
