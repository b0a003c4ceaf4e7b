"""The in-process fake refuses the timeouts a real connection refuses, the same way: its
transports against FakeMeibel.serve() over 127.0.0.1, raw httpx2 and through the SDK."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from meibel import AsyncMeibelClient, MeibelClient
from meibel.testing import FakeMeibel

KEY = {"Meibel-API-Key": "k"}
PHASES = ["connect", "write", "read", "pool"]
VALUES = [math.nan, -1.0, -1e-9, 0.0, 1e10, math.inf]
# Over the wire, socket.create_connection leaves its socket open when settimeout() raises
# ValueError or OverflowError (it closes it on OSError only): that is the wire's leak, not the
# fake's, whose own probe socket is closed.
WIRE_LEAKS_ITS_SOCKET = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeMeibel, str]]:
    fake = FakeMeibel()
    with fake.serve() as base_url:
        yield fake, base_url


class SlowFake(FakeMeibel):
    """Answers 0.3 s late, as a server that does some work: with a read timeout of 0 (a
    non-blocking socket) the sync client's first read then never finds the answer there
    already, which a fake answering in microseconds allows now and then."""

    def handle(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return super().handle(*args, **kwargs)


@pytest.fixture(scope="module")
def served_slowly() -> Iterator[tuple[FakeMeibel, str]]:
    fake = SlowFake()
    with fake.serve() as base_url:
        yield fake, base_url


def _outcome(send: Any) -> str:
    try:
        return f"answered {send().status_code}"
    except Exception as error:  # what matters is that both transports agree
        return f"{type(error).__name__}: {error}"


@WIRE_LEAKS_ITS_SOCKET
@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("phase", PHASES)
def test_sync_timeouts_fail_in_process_as_over_a_socket(
    served_slowly: tuple[FakeMeibel, str], phase: str, value: float
) -> None:
    fake, base_url = served_slowly
    timeout = httpx2.Timeout(5.0, **{phase: value})
    with httpx2.Client() as wire, fake.http_client() as in_process:  # new connections
        over_the_wire = _outcome(
            lambda: wire.get(f"{base_url}/agents", headers=KEY, timeout=timeout)
        )
        in_the_fake = _outcome(
            lambda: in_process.get("http://fake/v2/agents", headers=KEY, timeout=timeout)
        )
    assert in_the_fake == over_the_wire


@pytest.mark.anyio
@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("phase", PHASES)
async def test_async_timeouts_fail_in_process_as_over_a_socket(
    served: tuple[FakeMeibel, str], phase: str, value: float
) -> None:
    fake, base_url = served
    timeout = httpx2.Timeout(5.0, **{phase: value})

    async def outcome(client: httpx2.AsyncClient, url: str) -> str:
        try:
            return f"answered {(await client.get(url, headers=KEY, timeout=timeout)).status_code}"
        except Exception as error:
            return f"{type(error).__name__}: {error}"

    async with httpx2.AsyncClient() as wire, fake.async_http_client() as in_process:
        over_the_wire = await outcome(wire, f"{base_url}/agents")
        in_the_fake = await outcome(in_process, "http://fake/v2/agents")
    assert in_the_fake == over_the_wire


def _sdk_outcome(error: BaseException | None, *, cause: bool) -> str:
    if error is None:
        return "answered"
    name = type(error).__name__
    return f"{name} from {type(error.__cause__).__name__}" if cause else name


# A deadline in the past leaves each attempt a 1 ms budget: over the wire either the connect or
# the read runs out, so only the error the caller gets is compared there, not its cause.
CALLS = [
    ({"timeout": -1}, True),
    ({"timeout": 0}, True),
    ({"timeout": math.nan}, True),
    ({"timeout": math.inf}, True),
    ({"deadline": -5}, False),
    ({"deadline": 0}, False),
]


@WIRE_LEAKS_ITS_SOCKET
@pytest.mark.parametrize(("options", "cause"), CALLS, ids=str)
def test_the_sdk_gets_the_same_error_from_both_transports(
    served: tuple[FakeMeibel, str], options: dict[str, float], cause: bool
) -> None:
    fake, base_url = served
    outcomes = []
    for client in (
        MeibelClient(api_key="k", base_url=base_url, max_retries=0),
        fake.client(max_retries=0),
    ):
        with client:
            try:
                client.agents.get_agent("agent_123", **options)  # type: ignore[arg-type]
                error = None
            except Exception as raised:
                error = raised
        outcomes.append(_sdk_outcome(error, cause=cause))
    assert outcomes[1] == outcomes[0]
    assert outcomes[0] != "answered" or options == {"timeout": math.inf}


@pytest.mark.anyio
@pytest.mark.parametrize(("options", "cause"), CALLS, ids=str)
async def test_the_async_sdk_gets_the_same_error_from_both_transports(
    served: tuple[FakeMeibel, str], options: dict[str, float], cause: bool
) -> None:
    fake, base_url = served
    outcomes = []
    for client in (
        AsyncMeibelClient(api_key="k", base_url=base_url, max_retries=0),
        fake.async_client(max_retries=0),
    ):
        async with client:
            try:
                await client.agents.get_agent("agent_123", **options)  # type: ignore[arg-type]
                error = None
            except Exception as raised:
                error = raised
        outcomes.append(_sdk_outcome(error, cause=cause))
    assert outcomes[1] == outcomes[0]
    assert outcomes[0] != "answered" or options == {"timeout": math.inf}
