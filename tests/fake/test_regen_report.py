"""`make regen` says which operations the fake answers from the spec alone."""

from __future__ import annotations

from synthetic_spec import NEW_OPERATIONS, bumped_spec

from meibel.testing._schema import shipped
from scripts.regen import fake_report


def test_regen_names_the_operations_answered_generically() -> None:
    line = fake_report(bumped_spec())
    assert line == (
        f"fake: {len(NEW_OPERATIONS)} operation(s) answered generically: "
        + ", ".join(NEW_OPERATIONS)
    )


def test_regen_says_so_when_every_operation_has_a_handler() -> None:
    assert fake_report(shipped().document) == (
        "fake: no operation answered generically (each has a hand-written handler)."
    )
