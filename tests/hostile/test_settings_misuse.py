"""Settings that cannot work are refused when given, with an error naming the argument and value.

On MeibelClient and AsyncMeibelClient, on `with_options`, and per call on every operation of the
spec (its `timeout=` and `deadline=`), where nothing is sent. None stays "no limit".
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from answers import SESSION_DETAILS
from wire import RecordingServer

import meibel
from meibel import AsyncMeibelClient, MeibelClient
from meibel.models import ChatMessageRequest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "contract"))
import test_prism as contract  # noqa: E402  (contract/ is not a package)

KEY = "sk-test-settings"
SPEC = json.loads((ROOT / "openapi" / "api-v2.json").read_text(encoding="utf-8"))
OPERATIONS = [op for item in SPEC["paths"].values() for op in item.values()]
NAN, INF = math.nan, math.inf

MISUSE = [
    (
        "timeout",
        -1,
        ValueError,
        "timeout must be more than 0 and at most 1e9 seconds, or None for no limit, not -1",
    ),
    ("timeout", 0, ValueError, "timeout must be more than 0 .* not 0$"),
    ("timeout", NAN, ValueError, "timeout must be more than 0 .* not nan"),
    ("timeout", INF, ValueError, "timeout must be more than 0 .*None for no limit, not inf"),
    ("timeout", 1e10, ValueError, "timeout must be more than 0 and at most 1e9 seconds"),
    (
        "timeout",
        "30",
        TypeError,
        "timeout must be a number of seconds, or None for no limit, not str '30'",
    ),
    ("timeout", True, TypeError, "timeout must be a number of seconds.* not bool True"),
    ("timeout", httpx2.Timeout(5.0, read=-1), ValueError, "timeout.read must be more than 0"),
    ("timeout", httpx2.Timeout(5.0, connect=0), ValueError, "timeout.connect must be more than 0"),
    ("timeout", httpx2.Timeout(NAN), ValueError, "timeout.connect must be .* not nan"),
    ("max_retries", -1, ValueError, "max_retries must be at least 0, not -1"),
    ("max_retries", 2.5, TypeError, "max_retries must be an int, not float 2.5"),
    ("max_retries", True, TypeError, "max_retries must be an int, not bool True"),
    ("max_retries", None, TypeError, "max_retries must be an int, not NoneType None"),
    ("stream_idle_timeout", 0, ValueError, "stream_idle_timeout must be more than 0"),
    ("stream_idle_timeout", -5, ValueError, "stream_idle_timeout must be more than 0 .* not -5"),
    ("stream_idle_timeout", NAN, ValueError, "stream_idle_timeout must be .* not nan"),
    ("max_event_size", 0, ValueError, "max_event_size must be at least 1, not 0"),
    ("max_event_size", 1.5, TypeError, "max_event_size must be an int, not float 1.5"),
    ("max_event_size", False, TypeError, "max_event_size must be an int, not bool False"),
    ("deadline", 0, ValueError, "deadline must be more than 0 .* not 0$"),
    ("deadline", -5, ValueError, "deadline must be more than 0 .* not -5"),
    ("deadline", NAN, ValueError, "deadline must be more than 0 .* not nan"),
    ("deadline", INF, ValueError, "deadline must be .*None for no limit, not inf"),
]


@pytest.mark.parametrize("kind", [MeibelClient, AsyncMeibelClient])
@pytest.mark.parametrize(("argument", "value", "error", "message"), MISUSE)
def test_a_setting_that_cannot_work_is_refused_naming_it(
    kind: type[MeibelClient] | type[AsyncMeibelClient],
    argument: str,
    value: object,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=f"^{message}"):
        kind(api_key=KEY, base_url="http://127.0.0.1:9/v2", **{argument: value})
    good = kind(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    with pytest.raises(error, match=f"^{message}"):
        good.with_options(**{argument: value})


def test_none_is_no_limit_where_it_was(recording_server: RecordingServer) -> None:
    recording_server.respond(200, SESSION_DETAILS)
    unlimited = {
        "timeout": None,
        "stream_idle_timeout": None,
        "max_event_size": None,
        "deadline": None,
    }
    base_url = recording_server.url + "/v2"
    with MeibelClient(api_key=KEY, base_url=base_url, **unlimited) as client:
        assert client.timeout == httpx2.Timeout(None)
        assert (client.stream_idle_timeout, client.max_event_size, client.deadline) == (None,) * 3
        client.sessions.get_session("s_1", timeout=None, deadline=None)
        copy = client.with_options(timeout=httpx2.Timeout(None, connect=5.0), max_retries=0)
        assert copy.timeout.connect == 5.0
    assert len(recording_server.requests) == 1


def test_default_headers_are_read_only_after_construction() -> None:
    client = MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2", default_headers={"X": "1"})
    with pytest.raises(TypeError):
        client.default_headers["X"] = "2"  # type: ignore[index]
    assert client.with_options(default_headers={"X": "2"}).default_headers == {"X": "2"}


# Per call: every operation of the spec, with the contract suite's valid arguments.

PER_CALL = [
    ("timeout", -1, "timeout must be more than 0 .* not -1"),
    ("timeout", NAN, "timeout must be more than 0 .* not nan"),
    ("timeout", httpx2.Timeout(5.0, read=0), "timeout.read must be more than 0 .* not 0"),
    ("timeout", "5", "timeout must be a number of seconds"),
    ("deadline", 0, "deadline must be more than 0 .* not 0"),
    ("deadline", INF, "deadline must be more than 0 .* not inf"),
    ("deadline", -5.5, "deadline must be more than 0 .* not -5.5"),
]


def _misuses(method: Any) -> list[tuple[str, object, str]]:
    """The per-call misuses that apply: `deadline=` is only on methods that take one."""
    parameters = inspect.signature(method).parameters
    return [misuse for misuse in PER_CALL if misuse[0] in parameters]


@pytest.mark.spec
def test_every_operation_refuses_a_bad_per_call_timeout_or_deadline_before_sending(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    refused = 0
    with MeibelClient(api_key=KEY, base_url=recording_server.url + "/v2") as client:
        for operation in OPERATIONS:
            method = contract._method(client, operation)
            arguments = contract._arguments(operation, method, tmp_path)
            for argument, value, message in _misuses(method):
                with pytest.raises((ValueError, TypeError), match=f"^{message}"):
                    method(**arguments, **{argument: value})
                refused += 1
    assert recording_server.requests == []
    assert refused > 2 * len(OPERATIONS)


@pytest.mark.spec
def test_every_async_operation_refuses_them_before_sending(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    async def main() -> int:
        refused = 0
        client = AsyncMeibelClient(api_key=KEY, base_url=recording_server.url + "/v2")
        async with client:
            for operation in OPERATIONS:
                method = contract._method(client, operation)
                arguments = contract._arguments(operation, method, tmp_path)
                for argument, value, message in _misuses(method):
                    with pytest.raises((ValueError, TypeError), match=f"^{message}"):
                        await method(**arguments, **{argument: value})
                    refused += 1
        return refused

    assert asyncio.run(main()) > 2 * len(OPERATIONS)
    assert recording_server.requests == []


def test_is_set_says_what_it_takes() -> None:
    message = ChatMessageRequest(user_message="hi")
    assert meibel.is_set(message, "user_message") is True
    with pytest.raises(
        TypeError,
        match=r"^is_set\(\) takes a model of meibel.models .* not dict; for a dict, `name in ",
    ):
        meibel.is_set({"user_message": "hi"}, "user_message")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes the field's Python name as a str, not 3"):
        meibel.is_set(message, 3)  # type: ignore[arg-type]
    with pytest.raises(AttributeError, match="ChatMessageRequest has no field 'nope'"):
        meibel.is_set(message, "nope")
