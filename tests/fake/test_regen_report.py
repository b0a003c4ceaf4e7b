"""`make regen` says which operations the fake answers from the spec alone."""

from __future__ import annotations

from synthetic_spec import NEW_OPERATIONS, bumped_spec, handled_spec

from scripts.regen import fake_report


def test_regen_names_the_operations_answered_generically() -> None:
    line = fake_report(bumped_spec())
    assert line == (
        f"fake: {len(NEW_OPERATIONS)} operations answered from the spec alone: "
        + ", ".join(NEW_OPERATIONS)
    )
    one = bumped_spec()
    kept = NEW_OPERATIONS[0]
    for item in one["paths"].values():
        for method, operation in list(item.items()):
            if operation.get("operationId") in NEW_OPERATIONS[1:]:
                del item[method]
    assert fake_report(one) == f"fake: 1 operation answered from the spec alone: {kept}"


def test_regen_says_so_when_every_operation_has_a_handler() -> None:
    assert fake_report(handled_spec()) == (
        "fake: every operation has a hand-written handler (none answered from the spec alone)."
    )
