"""Clients pickle as their settings, so they reach spawned workers (multiprocessing, Dask, Ray).

What crosses is the settings, the key included (a worker needs it); the other side builds its own
connection pool, and reads nothing from its environment. A client on a pool of the caller's
(`http_client=`) refuses: that pool's connections cannot leave the process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx2
import pytest
from echo import EchoServer

from meibel import (
    APIConnectionError,
    AsyncMeibelClient,
    FileChangedError,
    InternalServerError,
    MeibelClient,
)
from meibel.testing import FakeMeibel

KEY = "sk-test-pickled-9f8e"
SETTINGS: dict[str, Any] = {
    "timeout": httpx2.Timeout(7.0, connect=2.0),
    "max_retries": 4,
    "default_headers": {"X-Team": "support"},
    "stream_idle_timeout": 30.0,
    "max_event_size": 1024,
    "deadline": 45.0,
    "datasource_id": "ds_7",
}


def settings(client: MeibelClient | AsyncMeibelClient) -> dict[str, object]:
    return {
        "base_url": str(client.base_url),
        "timeout": client.timeout,
        "max_retries": client.max_retries,
        "default_headers": dict(client.default_headers),
        "stream_idle_timeout": client.stream_idle_timeout,
        "max_event_size": client.max_event_size,
        "deadline": client.deadline,
        "datasource_id": client.path_defaults.get("datasource_id"),
    }


def the_environment_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a worker's environment might hold: none of it may replace the pickled settings."""
    monkeypatch.setenv("MEIBEL_API_KEY", "sk-from-the-environment")
    monkeypatch.setenv("MEIBEL_BASE_URL", "http://127.0.0.1:9/v2")
    monkeypatch.setenv("MEIBEL_DATASOURCE_ID", "ds_from_the_environment")


@pytest.mark.parametrize("kind", [MeibelClient, AsyncMeibelClient])
def test_a_client_pickles_as_its_settings_and_reads_no_environment_back(
    kind: type[MeibelClient] | type[AsyncMeibelClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = kind(api_key=KEY, base_url="http://127.0.0.1:8/v2", **SETTINGS)
    bare = kind(api_key=KEY, base_url="http://127.0.0.1:8/v2", datasource_id="")
    copy = client.with_options(max_retries=0, deadline=None)
    pickled = [pickle.dumps(c) for c in (client, bare, copy)]
    the_environment_says_otherwise(monkeypatch)

    again, bare_again, copy_again = (pickle.loads(data) for data in pickled)
    assert type(again) is kind
    assert settings(again) == settings(client)
    assert settings(copy_again) == {**settings(client), "max_retries": 0, "deadline": None}
    assert bare_again.path_defaults == {}  # no datasource stays none: not the environment's
    assert KEY not in repr(again)
    assert KEY not in repr(vars(again))


def test_the_unpickled_client_calls_with_the_pickled_key_and_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with EchoServer() as server:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2", **SETTINGS)
        client.sessions.get_session("before")  # a pool in use does not travel
        data = pickle.dumps(client.with_options(max_retries=1))
        the_environment_says_otherwise(monkeypatch)
        with pickle.loads(data) as again:
            answer = again.sessions.get_session("after")
        assert (answer.agent_id, answer.agent_name, answer.version) == ("after", KEY, "support")
        client.close()


@pytest.mark.parametrize("kind", [MeibelClient, AsyncMeibelClient])
def test_a_client_on_your_own_pool_refuses_to_pickle_and_says_why(
    kind: type[MeibelClient] | type[AsyncMeibelClient],
) -> None:
    http = httpx2.Client() if kind is MeibelClient else httpx2.AsyncClient()
    client = kind(api_key=KEY, base_url="http://127.0.0.1:8/v2", http_client=http)
    for each in (client, client.with_options(max_retries=0)):
        with pytest.raises(TypeError, match=r"made with http_client= cannot be pickled") as error:
            pickle.dumps(each)
        assert "Leave http_client= out" in str(error.value)
        assert KEY not in str(error.value)


# What a worker runs: module-level, so that a spawned process finds it by name.


def sync_worker(client: MeibelClient, token: str) -> tuple[str, str, str]:
    answer = client.sessions.get_session(token)
    return answer.agent_id, answer.agent_name, answer.version


def async_worker(client: AsyncMeibelClient, token: str) -> tuple[str, str, str]:
    async def call() -> tuple[str, str, str]:
        async with client:
            answer = await client.sessions.get_session(token)
        return answer.agent_id, answer.agent_name, answer.version

    return asyncio.run(call())


def test_spawned_workers_call_with_the_pickled_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """ProcessPoolExecutor and multiprocessing.Pool, both "spawn": fresh interpreters whose
    environment says otherwise, each call answered for its own token with the pickled key."""
    spawn = multiprocessing.get_context("spawn")
    with EchoServer() as server:
        base_url = server.url + "/v2"
        client = MeibelClient(api_key=KEY, base_url=base_url, default_headers={"X-Team": "a"})
        aclient = AsyncMeibelClient(api_key=KEY, base_url=base_url, default_headers={"X-Team": "b"})
        the_environment_says_otherwise(monkeypatch)  # the workers' environment
        tokens = [f"t{number}" for number in range(8)]
        with ProcessPoolExecutor(2, mp_context=spawn) as executor:
            answers = list(executor.map(sync_worker, [client] * len(tokens), tokens, timeout=120))
            # A namespace's method pickles too: it carries its client.
            sessions = list(executor.map(client.sessions.get_session, tokens, timeout=120))
        with spawn.Pool(2) as pool:
            async_answers = pool.starmap_async(async_worker, [(aclient, t) for t in tokens])
            async_answers.wait(120)
            assert async_answers.ready(), "the async workers did not finish within 120 s"
        assert answers == [(token, KEY, "a") for token in tokens]
        assert [session.agent_id for session in sessions] == tokens
        assert async_answers.get() == [(token, KEY, "b") for token in tokens]
        client.close()


def test_errors_pickle_whole_so_a_worker_can_send_them_back() -> None:
    """An upload report from a worker process carries its files' exceptions: they cross whole."""
    fake = FakeMeibel()
    fake.seed("datasources", "ds_1", name="Pickled")
    fake.fail_next(503, "try later")
    with fake.serve() as base_url:
        client = MeibelClient(api_key=KEY, base_url=base_url)
        with client, pytest.raises(InternalServerError) as raised:
            client.file_upload.upload_content("ds_1", files=[("a.txt", b"a")])
    error = pickle.loads(pickle.dumps(raised.value))
    assert isinstance(error, InternalServerError)
    assert (error.status_code, error.body) == (503, {"detail": "try later"})
    assert str(error) == str(raised.value)
    assert error.request.url == raised.value.request.url
    assert error.response.status_code == 503

    request = httpx2.Request("POST", "http://127.0.0.1:8/v2/x")
    for original in (
        APIConnectionError("reset", request=request, request_sent=False),
        FileChangedError("q4.pdf grew", path="q4.pdf"),
    ):
        again = pickle.loads(pickle.dumps(original))
        assert (type(again), str(again), vars(again).keys()) == (
            type(original), str(original), vars(original).keys(),
        )  # fmt: skip
    assert pickle.loads(pickle.dumps(original)).path == "q4.pdf"
