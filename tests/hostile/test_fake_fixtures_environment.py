"""The pytest fixtures run a test the same with or without a developer's MEIBEL_* environment."""

from __future__ import annotations

import os

import pytest

from meibel.testing import FakeMeibel

pytest_plugins = ["pytester"]

DEVELOPER = {
    "MEIBEL_API_KEY": "developer-secret-key",
    "MEIBEL_BASE_URL": "http://127.0.0.1:9/v2",  # nothing listens there
    "MEIBEL_DATASOURCE_ID": "ds_developer",
    "MEIBEL_ANYTHING_ELSE": "x",
}

SUITE = """
import os

import pytest

from meibel import MeibelClient


def meibel_names():
    return sorted(name for name in os.environ if name.startswith("MEIBEL_"))


def test_in_process(meibel_fake):
    assert meibel_names() == []
    meibel_fake.seed("datasources", "ds_1")
    with meibel_fake.client() as client:
        assert client.path_defaults == {}
        with pytest.raises(TypeError, match="needs datasource_id"):
            client.file_upload.upload_content(files=[("a.txt", b"a")])
        assert client.file_upload.upload_content("ds_1", files=[("a.txt", b"a")]).success


def test_code_that_builds_its_own_client(meibel_fake, meibel_fake_server):
    assert meibel_names() == ["MEIBEL_API_KEY", "MEIBEL_BASE_URL"]
    with MeibelClient() as client:  # as the code under test builds it
        assert client.path_defaults == {}
        assert client.agents.get_agent("agent_123").id == "agent_123"
    [request] = meibel_fake.requests
    assert request.headers["meibel-api-key"] == "fake-key"
"""


@pytest.mark.parametrize("environment", ["CI (no MEIBEL_*)", "a developer's MEIBEL_*"])
def test_the_fixtures_give_every_machine_the_same_results(
    environment: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("MEIBEL_")]:
        monkeypatch.delenv(name)
    if environment != "CI (no MEIBEL_*)":
        for name, value in DEVELOPER.items():
            monkeypatch.setenv(name, value)
    pytester.makepyfile(test_downstream=SUITE)

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "error")

    result.assert_outcomes(passed=2)
    after = {name: os.environ[name] for name in os.environ if name.startswith("MEIBEL_")}
    assert after == ({} if environment == "CI (no MEIBEL_*)" else DEVELOPER)


def test_a_fake_client_reads_nothing_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEVELOPER.items():
        monkeypatch.setenv(name, value)
    fake = FakeMeibel()
    with fake.client() as client:
        assert client.path_defaults == {}
        assert client.agents.get_agent("agent_123").id == "agent_123"
    assert fake.requests[0].headers["meibel-api-key"] == "fake-key"
    with fake.client(datasource_id="ds_chosen") as client:
        assert client.path_defaults == {"datasource_id": "ds_chosen"}
