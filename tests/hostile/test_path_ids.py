"""Path ids reach the wire as the caller meant them, or not at all: for every operation.

A blank id would address the collection (`GET /datasources/`), ".." its parent or the API's root
(URL normalisation resolves dot segments), and a "/" another resource. Each path parameter goes
through the generated `path_segment`, so a spec bump keeps this for the operations it adds.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meibel import APIStatusError, AsyncMeibelClient, MeibelClient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "contract"))
import test_prism as contract  # noqa: E402  (contract/ is not a package; its spec-valid arguments)

KEY = "sk-path-ids"
WITH_IDS = [
    (path, operation)
    for _, path, operation in contract.OPERATIONS
    if any(p["in"] == "path" for p in operation.get("parameters", []))
]

hostile = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\t",
            "\u3000",
            "/",
            ".",
            "..",
            "../..",
            "%2F",
            "a/../b",
            "\x00",
            "id\x00",
            "a\nb",
            "\x1b[31m",
            "\x85",
            "?x=1",
            "#frag",
            "ü" * 300,
            "\U0001f600" * 100,
            "\ud800",
        ]
    ),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=300),
)


def _refused(value: str) -> bool:
    """What path_segment refuses: nothing, blank, a dot segment, a control character, text that
    UTF-8 cannot encode (a lone surrogate)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return True
    return (
        not value.strip()
        or value in (".", "..")
        or any(c < " " or "\x7f" <= c <= "\x9f" for c in value)
    )


def _recording() -> tuple[list[httpx2.Request], httpx2.MockTransport]:
    sent: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(404, json={"detail": "recorded"})

    return sent, httpx2.MockTransport(answer)


def _expected_path(template: str, ids: dict[str, str]) -> str:
    return "/v2" + re.sub(r"{([^}]+)}", lambda m: quote(ids[m.group(1)], safe=""), template)


def _arguments(
    operation: dict[str, Any], method: Any, files: Path, ids: dict[str, str]
) -> dict[str, Any]:
    arguments = contract._arguments(operation, method, files)
    parameters = inspect.signature(method).parameters
    for parameter in operation["parameters"]:
        if parameter["in"] == "path":
            arguments[contract._argument_name(parameter["name"], parameters)] = ids[
                parameter["name"]
            ]
    return arguments


def _check(
    template: str, ids: dict[str, str], sent: list[httpx2.Request], error: Exception | None
) -> None:
    bad = [name for name, value in ids.items() if _refused(value)]
    if bad:
        assert isinstance(error, ValueError), (ids, error)
        assert sent == [], "a refused id still reached the wire"
        assert any(name in str(error) for name in bad), error
        return
    assert error is None or isinstance(error, APIStatusError), (ids, error)
    assert len(sent) == 1
    assert sent[0].url.raw_path.split(b"?")[0].decode() == _expected_path(template, ids)


def _path_names(operation: dict[str, Any]) -> list[str]:
    return [p["name"] for p in operation["parameters"] if p["in"] == "path"]


@pytest.mark.spec
@pytest.mark.parametrize(
    ("template", "operation"), WITH_IDS, ids=[op["operationId"] for _, op in WITH_IDS]
)
@settings(max_examples=25, deadline=None, database=None)
@given(data=st.data())
def test_every_path_id_is_refused_or_sent_percent_encoded_sync(
    template: str, operation: dict[str, Any], data: st.DataObject, tmp_path_factory: Any
) -> None:
    names = _path_names(operation)
    ids = {name: data.draw(hostile | st.just("ok_1"), label=name) for name in names}
    sent, transport = _recording()
    client = MeibelClient(
        api_key=KEY, base_url="http://api.test/v2", http_client=httpx2.Client(transport=transport)
    )
    method = contract._method(client, operation)
    arguments = _arguments(operation, method, tmp_path_factory.mktemp("files"), ids)
    error: Exception | None = None
    try:
        result = method(**arguments)
        close = getattr(result, "close", None)
        if close is not None:
            close()
    except (ValueError, APIStatusError) as caught:
        error = caught
    _check(template, ids, sent, error)


@pytest.mark.spec
@pytest.mark.parametrize(
    ("template", "operation"), WITH_IDS, ids=[op["operationId"] for _, op in WITH_IDS]
)
@settings(max_examples=10, deadline=None, database=None)
@given(data=st.data())
def test_every_path_id_is_refused_or_sent_percent_encoded_async(
    template: str, operation: dict[str, Any], data: st.DataObject, tmp_path_factory: Any
) -> None:
    names = _path_names(operation)
    ids = {name: data.draw(hostile | st.just("ok_1"), label=name) for name in names}
    sent, transport = _recording()
    files = tmp_path_factory.mktemp("files")

    async def call() -> Exception | None:
        http = httpx2.AsyncClient(transport=transport)
        client = AsyncMeibelClient(api_key=KEY, base_url="http://api.test/v2", http_client=http)
        method = contract._method(client, operation)
        try:
            result = await method(**_arguments(operation, method, files, ids))
            aclose = getattr(result, "aclose", None)
            if aclose is not None:
                await aclose()
        except (ValueError, APIStatusError) as caught:
            return caught
        return None

    _check(template, ids, sent, asyncio.run(call()))


def test_a_blank_id_names_the_parameter_and_sends_nothing() -> None:
    sent, transport = _recording()
    client = MeibelClient(
        api_key=KEY, base_url="http://api.test/v2", http_client=httpx2.Client(transport=transport)
    )
    with pytest.raises(ValueError, match="datasource_id must be a non-empty id"):
        client.datasources.get_datasource("")
    with pytest.raises(ValueError, match="datasource_id must be a non-empty id"):
        client.datasources.delete_datasource(" ")
    with pytest.raises(ValueError, match=r"must be an id, not the path segment '\.\.'"):
        client.datasources.delete_datasource("..")
    with pytest.raises(TypeError, match="datasource_id must be a string id, not None"):
        client.datasources.get_datasource(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="data_element_id must be a non-empty id"):
        client.data_elements.get_data_element("", datasource_id="ds_1")
    assert sent == []


def test_an_id_with_a_slash_stays_one_segment() -> None:
    sent, transport = _recording()
    client = MeibelClient(
        api_key=KEY, base_url="http://api.test/v2", http_client=httpx2.Client(transport=transport)
    )
    with pytest.raises(APIStatusError):
        client.datasources.get_datasource("a/../b%2F")
    assert sent[0].url.raw_path.split(b"?")[0] == b"/v2/datasources/a%2F..%2Fb%252F"
