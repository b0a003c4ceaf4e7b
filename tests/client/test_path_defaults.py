"""`datasource_id=` on both clients: the default of a path's `datasource_id`, as `path_defaults`."""

from __future__ import annotations

import pytest

from meibel import AsyncMeibelClient, MeibelClient

KEY = "sk-test-path-defaults"
ENV = "MEIBEL_DATASOURCE_ID"

Client = type[MeibelClient] | type[AsyncMeibelClient]
CLIENTS = pytest.mark.parametrize("client_type", [MeibelClient, AsyncMeibelClient])


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)


@CLIENTS
def test_none_by_default(client_type: Client) -> None:
    assert client_type(api_key=KEY).path_defaults == {}


@CLIENTS
def test_the_environment_gives_the_default(
    client_type: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "ds_env")
    assert client_type(api_key=KEY).path_defaults == {"datasource_id": "ds_env"}


@CLIENTS
def test_the_argument_overrides_the_environment(
    client_type: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "ds_env")
    assert client_type(api_key=KEY, datasource_id="ds_arg").path_defaults == {
        "datasource_id": "ds_arg"
    }
    assert client_type(api_key=KEY, datasource_id="").path_defaults == {}, "'' sets none"
    monkeypatch.setenv(ENV, "")
    assert client_type(api_key=KEY).path_defaults == {}


@CLIENTS
def test_with_options_carries_it_or_changes_it(
    client_type: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_type(api_key=KEY, datasource_id="ds_1")
    assert client.with_options(max_retries=0).path_defaults == {"datasource_id": "ds_1"}
    assert client.with_options(datasource_id="ds_2").path_defaults == {"datasource_id": "ds_2"}
    assert client.with_options(datasource_id="").path_defaults == {}
    assert client.path_defaults == {"datasource_id": "ds_1"}
    # A copy has its client's defaults, not what the environment says by then.
    monkeypatch.setenv(ENV, "ds_env")
    bare = client_type(api_key=KEY, datasource_id="")
    assert bare.with_options(max_retries=0).path_defaults == {}
    assert client.with_options(datasource_id=None).path_defaults == {"datasource_id": "ds_env"}


@CLIENTS
def test_it_is_read_only(client_type: Client) -> None:
    client = client_type(api_key=KEY, datasource_id="ds_1")
    with pytest.raises(TypeError):
        client.path_defaults["datasource_id"] = "other"  # type: ignore[index]
    with pytest.raises(AttributeError):
        client.path_defaults = {}  # type: ignore[misc]
    assert client.path_defaults == {"datasource_id": "ds_1"}
