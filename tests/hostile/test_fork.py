"""A client made before os.fork() and used by parent and child at once: nothing crosses.

Each call asks the echo server for a token of its own and checks that the answer names it, so
an answer read by the wrong process (or a request that waits forever for one) shows. The child
reports through a pipe and is killed if it does not report in time: a hang fails, never blocks.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from echo import EchoServer

from meibel import AsyncMeibelClient, MeibelClient, MeibelError

KEY = "sk-test-fork"
CALLS = 150
ROUNDS = 5
CHILD_TIMEOUT = 60.0


def fork(run: Callable[[], Any]) -> tuple[int, int]:
    """Fork; the child runs `run`, writes what it returns as JSON to a pipe and exits."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns on forking a process with threads (the server's): meant here.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read)
            payload = json.dumps(run()).encode()
        except BaseException as error:
            payload, code = json.dumps({"child error": repr(error)}).encode(), 1
        try:
            while payload:
                payload = payload[os.write(write, payload) :]
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def child_result(pid: int, read: int, timeout: float = CHILD_TIMEOUT) -> Any:
    """What the child reported; it is killed, and the test fails, past `timeout` seconds."""
    end = time.monotonic() + timeout
    data = b""
    try:
        while True:
            ready, _, _ = select.select([read], [], [], max(end - time.monotonic(), 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"the forked child did not finish within {timeout} s: it hangs")
            chunk = os.read(read, 65536)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read)
    os.waitpid(pid, 0)
    return json.loads(data)


def calls(client: MeibelClient, who: str, count: int = CALLS) -> dict[str, Any]:
    """`count` calls, each with a token of its own; stops at the first error."""
    wrong = []
    for number in range(count):
        token = f"{who}-{number}"
        try:
            answer = client.sessions.get_session(token).agent_id
        except Exception as error:
            return {"answered": number, "wrong": wrong, "error": repr(error)}
        if answer != token:
            wrong.append([token, answer])
    return {"answered": count, "wrong": wrong, "error": None}


async def acalls(client: AsyncMeibelClient, who: str, count: int = CALLS) -> dict[str, Any]:
    """`count` calls, ten at a time, each with a token of its own."""
    wrong: list[list[str]] = []
    errors: list[str] = []
    limit = asyncio.Semaphore(10)

    async def one(token: str) -> None:
        async with limit:
            try:
                answer = (await client.sessions.get_session(token)).agent_id
            except Exception as error:
                errors.append(repr(error))
                return
            if answer != token:
                wrong.append([token, answer])

    await asyncio.gather(*(one(f"{who}-{number}") for number in range(count)))
    return {"answered": count - len(errors), "wrong": wrong, "error": errors[:1] or None}


def matched(count: int = CALLS) -> dict[str, Any]:
    """What `calls` and `acalls` report when every answer was the call's own."""
    return {"answered": count, "wrong": [], "error": None}


def test_parent_and_child_share_a_client_and_each_gets_its_own_answers() -> None:
    with EchoServer() as server:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2", timeout=5, max_retries=0)
        copy = client.with_options(deadline=30)  # shares the pool: it must be reset too
        for round_ in range(ROUNDS):
            user = client if round_ % 2 else copy
            assert calls(client, f"warm-{round_}", 3)["answered"] == 3  # a pooled connection
            pid, read = fork(lambda: calls(user, f"child-{round_}"))  # noqa: B023
            parent = calls(user, f"parent-{round_}")
            child = child_result(pid, read)
            assert child == matched(), f"round {round_}: the child's calls"
            assert parent == matched(), f"round {round_}: the parent's calls"
        client.close()


def test_async_parent_and_child_share_a_client_and_each_gets_its_own_answers() -> None:
    async def parent(client: AsyncMeibelClient) -> None:
        for round_ in range(ROUNDS):
            assert (await acalls(client, f"warm-{round_}", 10))["answered"] == 10

            def child() -> Any:
                return asyncio.run(acalls(client, f"child-{round_}"))  # noqa: B023

            # Forked from a thread while this loop runs with pooled connections: the child
            # runs a loop of its own on the same client.
            pid, read = await asyncio.to_thread(fork, child)
            mine = await acalls(client, f"parent-{round_}")
            theirs = await asyncio.to_thread(child_result, pid, read)
            assert theirs == matched(), f"round {round_}: the child's calls"
            assert mine == matched(), f"round {round_}: the parent's calls"
        await client.aclose()

    with EchoServer() as server:
        base_url = server.url + "/v2"
        client = AsyncMeibelClient(api_key=KEY, base_url=base_url, timeout=5, max_retries=0)
        asyncio.run(parent(client))


def test_a_fork_while_another_thread_is_mid_request_leaves_both_sides_working() -> None:
    with EchoServer(slow=1.0) as server:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2", timeout=5, max_retries=0)
        assert calls(client, "warm", 3)["answered"] == 3
        answered: list[str] = []
        thread = threading.Thread(
            target=lambda: answered.append(client.sessions.get_session("slow-parent").agent_id)
        )
        thread.start()
        assert server.slow_arrived.wait(5)
        pid, read = fork(lambda: calls(client, "child", 50))
        child = child_result(pid, read)
        thread.join(10)
        assert answered == ["slow-parent"]
        assert child == matched(50)
        assert calls(client, "parent", 50) == matched(50)
        client.close()


def test_a_client_on_your_own_pool_refuses_to_share_it_with_a_child() -> None:
    with EchoServer() as server, httpx2.Client() as http:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2", http_client=http)
        assert calls(client, "warm", 3)["answered"] == 3

        def child() -> str:
            try:
                client.sessions.get_session("child")
            except MeibelError as error:
                return str(error)
            return "no error"

        pid, read = fork(child)
        message = child_result(pid, read)
        assert "http_client= was created before os.fork()" in message
        assert "leave http_client= out" in message
        assert calls(client, "parent", 10) == matched(10)  # the parent's pool is fine


def test_an_async_client_on_your_own_pool_refuses_to_share_it_with_a_child() -> None:
    async def parent(server: EchoServer) -> None:
        async with httpx2.AsyncClient() as http:
            client = AsyncMeibelClient(api_key=KEY, base_url=server.url + "/v2", http_client=http)
            assert (await acalls(client, "warm", 3))["answered"] == 3

            async def use() -> str:
                try:
                    await client.with_options(max_retries=0).sessions.get_session("child")
                except MeibelError as error:
                    return str(error)
                return "no error"

            pid, read = await asyncio.to_thread(fork, lambda: asyncio.run(use()))
            message = await asyncio.to_thread(child_result, pid, read)
            assert "http_client= was created before os.fork()" in message
            assert (await acalls(client, "parent", 10)) == matched(10)

    with EchoServer() as server:
        asyncio.run(parent(server))


def test_a_closed_client_stays_closed_and_a_copy_does_not_close_the_original() -> None:
    with EchoServer() as server:
        client = MeibelClient(api_key=KEY, base_url=server.url + "/v2")
        client.with_options(max_retries=0).close()  # a copy's close leaves the pool alone
        assert calls(client, "open", 2)["answered"] == 2
        client.close()
        with pytest.raises(RuntimeError, match="client has been closed"):
            client.sessions.get_session("closed")
        never_used = MeibelClient(api_key=KEY, base_url=server.url + "/v2")
        never_used.close()
        with pytest.raises(RuntimeError, match="client has been closed"):
            never_used.sessions.get_session("closed")
