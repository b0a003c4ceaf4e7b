"""The registries the generated code is printed from: kinds (meibel/_kinds.py), mixins
(meibel/_mixins.py), and what meibel/_needs.py derives from the waiters' table."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from pathlib import Path

from meibel import AsyncMeibelClient, MeibelClient, _needs
from meibel._kinds import HOOKS, KINDS, names
from meibel._mixins import MODEL_MIXINS, NAMESPACE_MIXINS
from meibel._waiters import WAITERS

ROOT = Path(__file__).resolve().parents[2]
PLANS = json.loads((ROOT / "generated" / "meibel_api_v2" / "plans.json").read_text("utf-8"))
KEY = "sk-registries"


def _namespace(client: object, name: str) -> object:
    return getattr(client, name)


def test_every_planned_kind_is_registered() -> None:
    assert {plan["kind"] for plan in PLANS.values()} <= set(KINDS)


def test_both_clients_have_every_hook_sync_and_awaitable_as_the_kind_says() -> None:
    for hook in HOOKS:
        assert not inspect.iscoroutinefunction(getattr(MeibelClient, hook)), hook
        awaited = {kind.awaited for kind in KINDS.values() if kind.hook == hook}
        assert awaited in ({True}, {False}), hook
        assert inspect.iscoroutinefunction(getattr(AsyncMeibelClient, hook)) is awaited.pop()


def test_each_method_returns_what_its_kind_says() -> None:
    # The templates print the return type from the registry: e.g. "Download" for a download.
    clients = (
        (MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2"), "returns"),
        (AsyncMeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2"), "async_returns"),
    )
    for client, field in clients:
        for plan in PLANS.values():
            kind = KINDS[plan["kind"]]
            method = getattr(_namespace(client, plan["namespace"]), plan["method"])
            returned = str(inspect.signature(method).return_annotation)
            template = str(getattr(kind, field))
            head = template.split("{", 1)[0]
            assert returned.startswith(head), (plan["operation_id"], returned, template)
            if "{" not in template:
                assert returned == template, plan["operation_id"]
            hooked = kind.awaited if field == "async_returns" else False
            assert inspect.iscoroutinefunction(method) is hooked, plan["operation_id"]


def test_the_names_the_kinds_print_are_re_exported_by_the_door() -> None:
    # Under TYPE_CHECKING, for mypy and IDEs: meibel/_kinds.py lists them, the door star-imports.
    exported = set(importlib.import_module("meibel._kinds").__all__)
    for kind in KINDS.values():
        assert names(kind) <= exported
    tree = ast.parse((ROOT / "meibel" / "_kinds.py").read_text("utf-8"))
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert set().union(*(names(kind) for kind in KINDS.values())) <= imported


def test_every_mixin_is_a_base_of_its_generated_classes() -> None:
    import meibel.models

    sync = MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    aio = AsyncMeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    for namespace, pairs in NAMESPACE_MIXINS.items():
        for sync_mixin, async_mixin in pairs:
            assert isinstance(_namespace(sync, namespace), sync_mixin)
            assert isinstance(_namespace(aio, namespace), async_mixin)
    for model, mixin in MODEL_MIXINS.items():
        assert issubclass(getattr(meibel.models, model), mixin)


def test_the_door_hands_out_each_mixin() -> None:
    import meibel._resource as door

    for pairs in NAMESPACE_MIXINS.values():
        for pair in pairs:
            for mixin in pair:
                assert getattr(door, mixin.__name__) is mixin
    for mixin in MODEL_MIXINS.values():
        assert getattr(door, mixin.__name__) is mixin


def test_the_waiters_needs_are_derived_from_their_table() -> None:
    for waiter in WAITERS:
        if waiter.status:
            assert _needs.KindNeed(waiter.status, "plain", "meibel/_waiters.py") in _needs.KINDS
            assert (waiter.model, waiter.state) in {(n.model, n.field) for n in _needs.MODEL_FIELDS}
        if waiter.stream:
            assert _needs.KindNeed(waiter.stream, "stream", "meibel/_waiters.py") in _needs.KINDS
        if waiter.error:
            assert (waiter.model, waiter.error) in {(n.model, n.field) for n in _needs.MODEL_FIELDS}
