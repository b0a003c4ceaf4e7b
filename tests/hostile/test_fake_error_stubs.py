"""fake.stub(..., status=5xx) reaches the caller: the client's retries get the stubbed error too,
in process and over HTTP, sync and async; `times=` and `unstub()` say when it ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx2
import pytest

from meibel import AsyncMeibelClient, InternalServerError, MeibelClient, NotFoundError
from meibel._retry import RetryPolicy
from meibel.models import CreateDatasourceRequest
from meibel.testing import FakeMeibel
from meibel.testing._fake import RETRIED_STATUSES

FAST = {"Retry-After": "0"}  # the client retries at once: the test needs no backoff


@contextmanager
def sync_client(fake: FakeMeibel, transport: str) -> Iterator[MeibelClient]:
    if transport == "in process":
        with fake.client() as client:
            yield client
        return
    with fake.serve() as base_url, MeibelClient(api_key="k", base_url=base_url) as client:
        yield client


@asynccontextmanager
async def async_client(fake: FakeMeibel, transport: str) -> AsyncIterator[AsyncMeibelClient]:
    if transport == "in process":
        async with fake.async_client() as client:
            yield client
        return
    with fake.serve() as base_url:
        async with AsyncMeibelClient(api_key="k", base_url=base_url) as client:
            yield client


def _attempts(fake: FakeMeibel, operation_id: str) -> int:
    return sum(request.operation_id == operation_id for request in fake.requests)


def test_the_fake_repeats_exactly_the_statuses_the_client_retries() -> None:
    policy = RetryPolicy(max_retries=1)
    request = httpx2.Request("GET", "http://fake.meibel.test/v2/agents")
    retried = {
        status
        for status in range(400, 600)
        if policy.delay_for_response("GET", httpx2.Response(status, request=request), 0) is not None
    }
    assert retried == RETRIED_STATUSES


def test_a_stubbed_500_reaches_a_default_client_until_unstubbed() -> None:
    """The documented case: no options, a GET, the client's own backoff between attempts."""
    fake = FakeMeibel()
    fake.stub("getDatasource", status=500, json={"detail": "the index is down"})
    client = fake.client()
    with pytest.raises(InternalServerError, match="the index is down"):
        client.datasources.get_datasource("ds_1")
    assert _attempts(fake, "getDatasource") == 3  # the first request and both retries
    with pytest.raises(InternalServerError):  # still down: a stubbed outage lasts
        client.datasources.get_datasource("ds_1")
    fake.unstub("getDatasource")
    fake.seed("datasources", "ds_1")
    assert client.datasources.get_datasource("ds_1").id == "ds_1"


@pytest.mark.parametrize("transport", ["in process", "over HTTP"])
def test_error_stubs_sync(transport: str) -> None:
    fake = FakeMeibel()
    with sync_client(fake, transport) as client:
        fake.stub("getAgent", status=503, headers=FAST)
        with pytest.raises(InternalServerError, match="Service Unavailable"):
            client.agents.get_agent("agent_123")
        assert _attempts(fake, "getAgent") == 3
        fake.unstub()

        # times=2: two requests fail, the client's second retry gets the agent.
        fake.stub("getAgent", status=503, headers=FAST, times=2)
        assert client.agents.get_agent("agent_123").id == "agent_123"
        assert _attempts(fake, "getAgent") == 6

        # A POST is not retried: one request, and the stub still answers the next call.
        fake.stub("createDatasource", status=500)
        for _ in range(2):
            with pytest.raises(InternalServerError):
                client.datasources.create_datasource(body=CreateDatasourceRequest(name="R"))
        assert _attempts(fake, "createDatasource") == 2

        # An error the client does not retry answers one request, as any other stub.
        fake.stub("getAgent", status=404)
        with pytest.raises(NotFoundError):
            client.agents.get_agent("agent_123")
        assert client.agents.get_agent("agent_123").id == "agent_123"


@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["in process", "over HTTP"])
async def test_error_stubs_async(transport: str) -> None:
    fake = FakeMeibel()
    async with async_client(fake, transport) as client:
        fake.stub("getAgent", status=502, headers=FAST)
        with pytest.raises(InternalServerError, match="Bad Gateway"):
            await client.agents.get_agent("agent_123")
        assert _attempts(fake, "getAgent") == 3
        fake.unstub("getAgent")
        assert (await client.agents.get_agent("agent_123")).id == "agent_123"

        fake.stub("getAgent", status=429, headers=FAST, times=1)
        assert (await client.agents.get_agent("agent_123")).id == "agent_123"
        assert _attempts(fake, "getAgent") == 6


def test_times_and_unstub_are_checked() -> None:
    fake = FakeMeibel()
    for times in (0, -1, 1.5):
        with pytest.raises(ValueError, match=r"times=\.\.\.\) is a number of requests"):
            fake.stub("getAgent", status=500, times=times)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="each item of sequence= is one"):
        fake.stub("getAgent", sequence=[{"status": 500}], times=2)
    with pytest.raises(ValueError, match=r"no operation 'getAgents'; did you mean getAgent"):
        fake.unstub("getAgents")
    # times=None holds a success answer too, until unstubbed.
    fake.stub("listScoringJobs", json=[], times=None)
    client = fake.client(max_retries=0)
    fake.reply("x")
    session = client.agents.create_session("agent_123")
    session.chat("scored turn")
    for _ in range(3):
        assert client.confidence_scoring.list_scoring_jobs() == []
    fake.unstub("listScoringJobs")
    assert len(client.confidence_scoring.list_scoring_jobs()) == 1
