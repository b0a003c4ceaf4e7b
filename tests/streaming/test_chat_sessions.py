"""Sessions bound to their client: chat, stream and history through a session; artifacts saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat_events import FINAL, KEY, _client, chat_events
from wire import RecordingServer

from meibel import (
    AsyncMeibelClient,
)


def test_a_session_chats_streams_and_reads_its_history(recording_server: RecordingServer) -> None:
    from answers import CHAT_RESPONSE, MESSAGES, SESSION_DETAILS

    recording_server.respond(200, {"session_id": "s_7"})
    recording_server.respond(200, CHAT_RESPONSE)
    recording_server.stream(chat_events())
    recording_server.respond(200, MESSAGES)
    recording_server.respond(200, SESSION_DETAILS)
    with _client(recording_server) as client:
        session = client.agents.create_session(agent_id="agent_123")
        assert (session.id, session.agent_id, session.created_at) == ("s_7", "agent_123", None)
        assert session.chat("Q4?", include_thinking=True).message == "Revenue grew 12% [1]."
        assert session.stream("More", files=[("a.txt", b"a")]).final_response().message == FINAL
        assert [m.role for m in session.messages()] == ["user", "assistant", "tool"]
        details = session.refresh()
    assert (details.id, details.agent_id, details.status) == ("s_7", "agent_123", "running")
    assert repr(session) == "Session(id='s_7', agent_id='agent_123')"
    paths = [(r.method, r.target) for r in recording_server.requests]
    assert paths == [
        ("POST", "/v2/agents/agent_123/sessions"),
        ("POST", "/v2/sessions/s_7/chat"),
        ("POST", "/v2/sessions/s_7/chat/stream"),
        ("GET", "/v2/sessions/s_7/messages"),
        ("GET", "/v2/sessions/s_7"),
    ]
    assert json.loads(recording_server.requests[1].body) == {
        "user_message": "Q4?",
        "include_thinking": True,
    }


@pytest.mark.anyio
async def test_an_async_session_behaves_the_same(recording_server: RecordingServer) -> None:
    from answers import CHAT_RESPONSE, MESSAGES, SESSION_DETAILS

    recording_server.respond(200, SESSION_DETAILS)
    recording_server.respond(200, CHAT_RESPONSE)
    recording_server.stream(chat_events("incremental"))
    recording_server.respond(200, MESSAGES)
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        session = await client.sessions.get_session(session_id="s_8")
        assert (session.id, session.agent_id) == ("s_8", "agent_123")
        assert (await session.chat("Q4?")).message == "Revenue grew 12% [1]."
        stream = await session.stream("More")
        assert (await stream.final_response()).message == FINAL
        assert len(await session.messages()) == 3


def test_artifacts_save_inline_and_stored_content(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    import base64

    from meibel.models import Artifact

    report = Artifact(artifact_id="a1", filename="report.md", mime_type="text/markdown")
    report.content = "# Q4\nRevenue grew."
    assert report.save(tmp_path).read_text() == "# Q4\nRevenue grew."

    chart = Artifact(artifact_id="a2", filename="chart.png", mime_type="image/png")
    chart.content = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    assert chart.save(tmp_path / "c.png").read_bytes() == b"\x89PNG\r\n\x1a\n"

    recording_server.respond(200, b"zip bytes" * 1000, **{"Content-Type": "application/zip"})
    bundle = Artifact(artifact_id="a3", filename="bundle.zip", mime_type="application/zip")
    bundle.storage_url = recording_server.url + "/storage/bundle.zip?sig=abc"
    assert bundle.save(tmp_path).read_bytes() == b"zip bytes" * 1000
    assert recording_server.requests[0].headers.get("Meibel-API-Key") is None

    empty = Artifact(artifact_id="a4", filename="x.txt", mime_type="text/plain")
    with pytest.raises(ValueError, match="neither content nor a storage_url"):
        empty.save(tmp_path)
