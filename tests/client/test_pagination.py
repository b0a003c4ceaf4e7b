"""Paginated operations: offset, cursor and token pages, fetched lazily; sync and async."""

from __future__ import annotations

from typing import Any

import pytest
from support import KEY, client_for
from wire import RecordingServer

from meibel import AsyncMeibelClient


def _agents_page(offset: int, total: int, count: int) -> dict[str, Any]:
    agents = [
        {
            "id": f"a{offset + i}",
            "name": f"agent-{offset + i}",
            "display_name": f"Agent {offset + i}",
            "version": "1",
            "type": "chat",
            "llm_model": "m",
            "tool_count": 0,
            "datasource_count": 0,
        }
        for i in range(count)
    ]
    return {"data": agents, "total": total, "offset": offset, "limit": 2}


def test_offset_pagination_over_three_pages(recording_server: RecordingServer) -> None:
    for offset, count in [(0, 2), (2, 2), (4, 1)]:
        recording_server.respond(200, _agents_page(offset, 5, count))
    with client_for(recording_server) as client:
        page = client.agents.list_agents(limit=2)
        assert len(recording_server.requests) == 1, "pages are fetched lazily"
        assert page.total == 5
        ids = [agent.id for agent in page]
    assert ids == ["a0", "a1", "a2", "a3", "a4"]
    assert [r.target for r in recording_server.requests] == [
        "/v2/agents?offset=0&limit=2&sort_by=created_at&sort_order=desc&published_only=false",
        "/v2/agents?offset=2&limit=2&sort_by=created_at&sort_order=desc&published_only=false",
        "/v2/agents?offset=4&limit=2&sort_by=created_at&sort_order=desc&published_only=false",
    ]


def _elements_page(cursor: str | None, ids: list[str]) -> dict[str, Any]:
    items = [{"id": i, "datasource_id": "d", "name": i} for i in ids]
    return {"items": items, "next_cursor": cursor, "has_next": cursor is not None}


@pytest.mark.anyio
async def test_async_cursor_pagination_over_three_pages(recording_server: RecordingServer) -> None:
    recording_server.respond(200, _elements_page("c1", ["e1", "e2"]))
    recording_server.respond(200, _elements_page("c2", ["e3"]))
    recording_server.respond(200, _elements_page(None, ["e4"]))
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        ids = [element.id async for element in client.data_elements.list_data_elements("d")]
        assert ids == ["e1", "e2", "e3", "e4"]
    paths = [r.target for r in recording_server.requests]
    assert paths == [
        "/v2/datasources/d/data-elements?limit=100",
        "/v2/datasources/d/data-elements?cursor=c1&limit=100",
        "/v2/datasources/d/data-elements?cursor=c2&limit=100",
    ]


@pytest.mark.anyio
async def test_async_offset_pages_and_awaited_first_page(recording_server: RecordingServer) -> None:
    for offset, count in [(0, 2), (2, 2), (4, 1)]:
        recording_server.respond(200, _agents_page(offset, 5, count))
    async with AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        page = await client.agents.list_agents(limit=2)
        assert [a.id for a in page.items] == ["a0", "a1"]
        pages = [[a.id for a in p.items] async for p in page.iter_pages()]
    assert pages == [["a0", "a1"], ["a2", "a3"], ["a4"]]


def test_sync_token_pagination(recording_server: RecordingServer) -> None:
    recording_server.respond(
        200, {"items": [{"name": "a", "path": "/a"}], "continuation_token": "t1"}
    )
    recording_server.respond(
        200, {"items": [{"name": "b", "path": "/b"}], "continuation_token": "t2"}
    )
    recording_server.respond(
        200, {"items": [{"name": "c", "path": "/c"}], "continuation_token": None}
    )
    with client_for(recording_server) as client:
        keys = [item.name for item in client.file_upload.list_content("d")]
    assert keys == ["a", "b", "c"]
    assert "continuation_token=t2" in recording_server.requests[2].target
