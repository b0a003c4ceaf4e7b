"""What MeibelClient and AsyncMeibelClient take from the environment (MEIBEL_API_KEY,
MEIBEL_BASE_URL), and the key they never show."""

from __future__ import annotations

import pytest
from support import KEY

from meibel import AsyncMeibelClient, MeibelClient, MeibelError


def test_missing_api_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEIBEL_API_KEY", raising=False)
    with pytest.raises(MeibelError, match="MEIBEL_API_KEY"):
        MeibelClient()
    with pytest.raises(MeibelError, match="MEIBEL_API_KEY"):
        AsyncMeibelClient()


def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEIBEL_API_KEY", KEY)
    monkeypatch.delenv("MEIBEL_BASE_URL", raising=False)
    with MeibelClient() as client:
        assert str(client.base_url) == "https://api.meibel.ai/v2"
    monkeypatch.setenv("MEIBEL_BASE_URL", "http://127.0.0.1:9/v2/")
    with MeibelClient() as client:
        assert str(client.base_url) == "http://127.0.0.1:9/v2"


def test_repr_and_attributes_never_show_the_key() -> None:
    client = MeibelClient(api_key=KEY, base_url="http://127.0.0.1:9/v2")
    assert KEY not in repr(client)
    assert KEY not in repr(vars(client))
    assert KEY not in repr(client.with_options(max_retries=0))
    client.close()
