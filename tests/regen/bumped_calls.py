"""What tests/regen/test_bump_drill.py runs inside the bumped copy, in a fresh interpreter whose
path starts with the copy (its meibel/ and generated/); each prints one JSON document.

Usage (in the copy): python tests/regen/bumped_calls.py methods|fake|cli
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from importlib import resources
from typing import Any

import meibel
from meibel import AsyncMeibelClient, MeibelClient, NotFoundError


def _new_plans() -> list[dict[str, Any]]:
    """The plans of the operations the drill's fragment adds."""
    plans = json.loads(resources.files("meibel_api_v2").joinpath("plans.json").read_text())
    return [
        plan
        for plan in plans.values()
        if plan["path"].startswith(("/batch-", "/execution-policies"))
    ]


def methods() -> dict[str, Any]:
    """Where meibel was imported from, and which namespace.method exist on each client."""
    sync_client, async_client = MeibelClient(api_key="k"), AsyncMeibelClient(api_key="k")
    found: dict[str, list[str]] = {"sync": [], "async": []}
    for plan in _new_plans():
        for kind, client in (("sync", sync_client), ("async", async_client)):
            namespace = getattr(client, plan["namespace"], None)
            if callable(getattr(namespace, plan["method"], None)):
                found[kind].append(f"{plan['namespace']}.{plan['method']}")
    sync_client.close()
    return {"meibel": meibel.__file__, **found}


def fake() -> dict[str, Any]:
    """Every new operation against FakeMeibel over HTTP: what is created is read, listed and
    deleted, then 404; each other operation's answer is named by its model."""
    from meibel.testing import FakeMeibel

    seen: dict[str, Any] = {}
    answered: dict[str, str] = {}
    fake = FakeMeibel()
    with (
        fake.serve() as base_url,
        MeibelClient(api_key="k", base_url=base_url, max_retries=0) as client,
    ):
        definitions = client.batch_definitions
        created = definitions.create_batch_definition(
            name="nightly-summaries", agent_id="agent_123", input_datasource_id="ds_in"
        )
        seen["definition_read"] = definitions.get_batch_definition(created.id).id == created.id
        listed = {definition.id for definition in definitions.list_batch_definitions()}
        seen["definition_listed"] = created.id in listed
        by_urn = definitions.get_batch_definition_by_catalog_urn(catalog_urn=created.catalog_urn)
        seen["definition_found_by_urn"] = by_urn.id == created.id
        for name, answer in (
            ("by_urn", by_urn),
            ("update", definitions.update_batch_definition(created.id, description="nightly")),
            ("versions", definitions.list_batch_definition_versions(created.id).response),
            ("execute", definitions.execute_batch_definition(created.id)),
        ):
            answered[name] = type(answer).__name__

        executions = client.batch_executions
        execution = executions.create_batch_execution(batch_definition_id=created.id)
        seen["execution_read"] = executions.get_batch_execution(execution.id).id == execution.id
        listed = {each.id for each in executions.list_batch_executions()}
        seen["execution_listed"] = execution.id in listed
        for name, answer in (
            ("update_execution", executions.update_batch_execution(execution.id, total_items=3)),
            ("retry", executions.retry_failed_batch_items(execution.id)),
            ("cancel", executions.cancel_batch_execution(execution.id)),
        ):
            answered[name] = type(answer).__name__
        with executions.stream_batch_progress(execution.id) as stream:
            seen["progress_events"] = sorted({event.type for event in stream})

        policies = client.execution_policies
        policy = policies.create_execution_policy(
            body={"name": "docs-only", "execution_policy": {}}
        )
        seen["policy_read"] = policies.get_execution_policy(policy.id).name == "docs-only"
        seen["policy_listed"] = policy.id in {p.id for p in policies.list_execution_policies().data}
        answered["update_policy"] = type(
            policies.update_execution_policy(policy.id, description="only the docs")
        ).__name__

        for name, delete, get, key in (
            ("policy", policies.delete_execution_policy, policies.get_execution_policy, policy.id),
            (
                "definition",
                definitions.delete_batch_definition,
                definitions.get_batch_definition,
                created.id,
            ),
        ):
            seen[f"{name}_deleted"] = delete(key) is None
            try:
                get(key)
            except NotFoundError as error:
                seen[f"{name}_then"] = error.status_code
            else:
                seen[f"{name}_then"] = "still there"
    seen["answered"] = answered
    seen["operations"] = sorted({r.operation_id for r in fake.requests if r.operation_id})
    return seen


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def cli() -> dict[str, Any]:
    """`meibel <namespace> <method> --help` (kebab-case, or the plan's `cli_name`) per new plan."""
    from meibel._cli import main

    statuses = {}
    for plan in _new_plans():
        named = str(plan.get("cli_name") or plan["method"]).split()
        words = named if len(named) > 1 else [_kebab(plan["namespace"]), _kebab(named[0])]
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                status: object = main([*words, "--help"])
        except SystemExit as exit:
            status = exit.code
        statuses[" ".join(words)] = status
    return statuses


if __name__ == "__main__":
    print(json.dumps({"methods": methods, "fake": fake, "cli": cli}[sys.argv[1]]()))
