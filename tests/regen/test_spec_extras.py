"""The vendor SDK's call shapes: read from the spec's code samples and openapi/vendor-names.json,
checked against the spec, and callable on both clients."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from meibel import AsyncMeibelClient, MeibelClient
from meibel.models import ChatMessageRequest
from meibel.testing import FakeMeibel
from scripts.spec_extras import UnsupportedCallShape, call_shapes, vendor_names

ROOT = Path(__file__).resolve().parents[2]
NORMALIZED = json.loads(
    (ROOT / "generated" / "meibel_api_v2" / "openapi.json").read_text(encoding="utf-8")
)


def _names(**calls: str) -> dict[str, Any]:
    return {"calls": {path.replace("__", "."): op for path, op in calls.items()}}


def test_the_committed_names_give_the_vendor_paths() -> None:
    shapes = call_shapes(NORMALIZED)
    assert shapes["METHOD_ALIASES"] == {"sessions": {"get_messages": "get_session_messages"}}
    assert shapes["SUBNAMESPACES"] == {
        "agents": {
            "sessions": {"target": "sessions", "methods": {"create_session": "create_session"}}
        },
        "datasources": {
            "content": {"target": "file_upload", "methods": {}},
            "data_elements": {"target": "data_elements", "methods": {}},
        },
    }


def test_the_readme_names_and_the_code_samples_go_through_one_rule() -> None:
    names = _names(
        sessions__history="getSessionMessages", datasources__uploads__upload_content="uploadContent"
    )
    shapes = call_shapes(NORMALIZED, names)
    assert shapes["METHOD_ALIASES"]["sessions"] == {
        "get_messages": "get_session_messages",  # the spec's code sample
        "history": "get_session_messages",  # vendor-names.json
    }
    assert shapes["SUBNAMESPACES"]["datasources"] == {
        "uploads": {"target": "file_upload", "methods": {}}
    }
    # Through a sub-namespace, a parent's own operation under another name: an alias there.
    names = _names(agents__sessions__create="createSession")
    agents = call_shapes(NORMALIZED, names)["SUBNAMESPACES"]["agents"]
    assert agents["sessions"] == {"target": "sessions", "methods": {"create": "create_session"}}


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (
            _names(documents__parse_document="parseDocuments"),
            "openapi/vendor-names.json calls 'documents.parse_document': client.documents."
            "parse_document(): no operation has operationId 'parseDocuments'",
        ),
        (
            _names(documents__parse="uploadContent"),
            "calls 'documents.parse': client.documents.parse(): "
            "expected client.file_upload.<method>",
        ),
        (_names(upload_content="uploadContent"), "calls 'upload_content'"),
        (_names(a__b__c__d="uploadContent"), "calls 'a.b.c.d'"),
        (_names(nowhere__content__upload_content="uploadContent"), "calls 'nowhere.content."),
        (_names(documents__Parse="parseDocument"), "lower-case Python identifier"),
        (
            _names(
                datasources__content__upload_content="uploadContent",
                datasources__content__list_data_elements="listDataElements",
            ),
            "client.datasources.content is already the 'file_upload' namespace",
        ),
        (
            _names(agents__list_agents__get_session="getSession"),
            "client.agents.list_agents: agents already has a method 'list_agents'",
        ),
        (
            _names(agents__sessions__get_session="getAgent"),
            "client.agents.sessions: get_session would hide the sessions method of that name",
        ),
        (
            _names(
                agents__sessions__create_session="createSession",
                sessions__agents__get_session="getSession",
            ),
            "form a cycle: agents -> sessions -> agents",
        ),
    ],
    ids=[
        "unknown-operation",
        "wrong-namespace",
        "no-namespace",
        "too-deep",
        "unknown-parent",
        "not-an-identifier",
        "two-targets",
        "shadows-a-method",
        "hides-a-method",
        "import-cycle",
    ],
)
def test_an_unsupported_shape_names_its_entry(names: dict[str, Any], message: str) -> None:
    with pytest.raises(UnsupportedCallShape) as caught:
        call_shapes(NORMALIZED, names)
    assert message in str(caught.value)


def test_a_code_sample_naming_an_unsupported_shape_is_refused_too() -> None:
    spec = copy.deepcopy(NORMALIZED)
    operation = spec["paths"]["/sessions/{session_id}/messages"]["get"]
    operation["x-codeSamples"] = [
        {"lang": "Python", "source": "client.chat.sessions.history.get(1)"}
    ]
    with pytest.raises(UnsupportedCallShape, match=r"^getSessionMessages: code sample: "):
        call_shapes(spec, {"calls": {}})


def test_regen_refuses_a_vendor_name_with_one_line_and_changes_nothing(tmp_path: Path) -> None:
    for name in ("openapi", "scripts", "pyproject.toml", "generated"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tmp_path / name)
    names = vendor_names()
    names["calls"]["datasources.list"] = "listDatasource"
    (tmp_path / "openapi" / "vendor-names.json").write_text(json.dumps(names), encoding="utf-8")
    before = sorted(p.stat().st_mtime_ns for p in (tmp_path / "generated").rglob("*"))

    result = subprocess.run(
        [sys.executable, "-m", "scripts.regen"],
        cwd=tmp_path,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "regen: refused: openapi/vendor-names.json calls 'datasources.list': "
        "client.datasources.list(): no operation has operationId 'listDatasource'",
        "regen: the spec has 1 problem; generated/ is unchanged.",
    ]
    assert sorted(p.stat().st_mtime_ns for p in (tmp_path / "generated").rglob("*")) == before


def test_the_vendor_paths_call_the_same_operations_on_both_clients() -> None:
    fake = FakeMeibel()
    client = fake.client()
    session = client.agents.sessions.create_session(agent_id="agent_123")
    reply = client.agents.sessions.send_chat_message(
        session_id=session.id, body=ChatMessageRequest(user_message="Hello")
    )
    assert reply.message
    raw = client.agents.sessions.with_raw_response.create_session(agent_id="agent_123")
    assert raw.status_code == 200
    assert client.agents.sessions is client.agents.sessions  # made once, on first access
    assert client.datasources.content is client.file_upload
    assert client.datasources.data_elements is client.data_elements
    called = [(r.method, r.operation_id) for r in fake.requests]
    assert called == [
        ("POST", "createSession"),
        ("POST", "sendChatMessage"),
        ("POST", "createSession"),
    ]


@pytest.mark.anyio
async def test_the_vendor_paths_on_the_async_client() -> None:
    fake = FakeMeibel()
    client: AsyncMeibelClient = fake.async_client()
    session = await client.agents.sessions.create_session(agent_id="agent_123")
    await client.agents.sessions.send_chat_message(
        session_id=session.id, body=ChatMessageRequest(user_message="Hello")
    )
    assert [r.operation_id for r in fake.requests] == ["createSession", "sendChatMessage"]
    await client.aclose()


def test_a_sub_namespace_of_its_own_is_the_target_plus_the_moved_methods() -> None:
    client = MeibelClient(api_key="k")
    sessions = client.agents.sessions
    assert isinstance(sessions, type(client.sessions))
    assert sessions.send_chat_message.__func__ is type(client.sessions).send_chat_message
    assert not hasattr(client.sessions, "create_session")
    client.close()
