"""The escape hatch (`client.get(path, ...)`): mypy --strict infers each answer from `cast_to`
and `stream`, and refuses a cast_to on a stream (make typecheck; an unneeded ignore fails too)."""

from __future__ import annotations

from typing import Any, assert_type

import httpx2

from meibel import AsyncMeibelClient, MeibelClient
from meibel.models import CreateDatasourceRequest, DatasourceResponse


def sync_calls(client: MeibelClient) -> None:
    assert_type(client.get("/agents", params={"limit": 5}), Any)
    created = client.post("/datasources", body={"name": "Q4"}, cast_to=DatasourceResponse)
    assert_type(created, DatasourceResponse)
    assert_type(client.put("/x", body=CreateDatasourceRequest(name="n"), cast_to=bytes), bytes)
    assert_type(client.patch("/x", body=[1, 2], cast_to=str), str)
    assert_type(client.delete("/x", cast_to=httpx2.Response), httpx2.Response)
    assert_type(client.request("GET", "/x", cast_to=DatasourceResponse), DatasourceResponse)
    with client.get("/progress", stream=True, deadline=60) as stream:
        for event in stream:
            assert_type(event.type, str)
        assert_type(stream.response, httpx2.Response)
    client.get("/x", stream=True, cast_to=bytes)  # type: ignore[call-overload]
    client.post("/x", body="text")  # type: ignore[call-overload]


async def async_calls(client: AsyncMeibelClient) -> None:
    assert_type(await client.get("/agents"), Any)
    created = await client.post("/datasources", body={"name": "Q4"}, cast_to=DatasourceResponse)
    assert_type(created, DatasourceResponse)
    assert_type(await client.request("DELETE", "/x", cast_to=bytes), bytes)
    async with await client.get("/progress", stream=True) as stream:
        async for event in stream:
            assert_type(event.type, str)
        assert_type(stream.finished, bool)
