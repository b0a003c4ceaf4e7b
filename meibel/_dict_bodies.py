"""A JSON body given as a dict (`body={"name": "docs"}`): read into its model, or refused.

The generated methods take `body=` as the operation's model; a dict of the model's JSON fields is
accepted too, as the API's own docs show bodies. What the model does not know is refused before
any request with a TypeError naming the model and the field: a missing required field, a key it
lacks (a typo would be sent and ignored; fields the spec lacks go through `extra_body=`), and a
scalar of the wrong type.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

__all__ = ["body_from"]

# A field's annotation (generated models keep them as text) whose values a dict body can be
# checked against without importing anything: the JSON scalars, optionally nullable.
_SCALARS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "None": (type(None),),
}


@functools.cache
def _scalar_types(model: type) -> dict[str, tuple[type, ...]]:
    """For each field of `model` annotated with JSON scalars only, the Python types it takes."""
    import attrs

    checks = {}
    for field in attrs.fields(model):
        annotation = field.type if isinstance(field.type, str) else None
        parts = [part.strip() for part in (annotation or "").split("|")]
        if annotation and all(part in _SCALARS for part in parts):
            checks[field.name] = tuple(t for part in parts for t in _SCALARS[part])
    return checks


def body_from(method: str, model: type, body: object) -> Any:
    """`body` given as a dict of the model's JSON fields: the model, or a TypeError naming it."""
    name = model.__name__
    if not isinstance(body, Mapping):
        raise TypeError(
            f"{method}() body= must be a {name} or a dict of its fields, not {type(body).__name__}"
        )
    try:
        parsed = model.from_dict(body)  # type: ignore[attr-defined]
    except KeyError as missing:
        raise TypeError(f"{method}() body= lacks the {name} field {missing}") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise TypeError(f"{method}() body= is not a valid {name}: {error}") from None
    unknown = sorted(parsed.additional_properties)
    if unknown:
        known = ", ".join((*model._meibel_required, *model._meibel_optional))  # type: ignore[attr-defined]
        raise TypeError(
            f"{method}() body= has field(s) {name} does not know: {', '.join(unknown)} (it has "
            f"{known}); send fields the spec lacks with extra_body="
        )
    for field, types in _scalar_types(model).items():
        value = getattr(parsed, field)
        if value is not None and (
            not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        ):
            expected = " or ".join(t.__name__ for t in types)
            raise TypeError(
                f"{method}() body= field {field!r} of {name} must be {expected}, not "
                f"{type(value).__name__}"
            )
    return parsed
