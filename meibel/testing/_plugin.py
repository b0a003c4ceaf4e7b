"""The pytest plugin (entry point `meibel` in pytest11): `meibel_fake` and `meibel_fake_server`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._fake import FakeMeibel


@pytest.fixture
def meibel_fake() -> FakeMeibel:
    """A fresh FakeMeibel: `meibel_fake.client()` gives a MeibelClient wired to it."""
    return FakeMeibel()


@pytest.fixture
def meibel_fake_server(meibel_fake: FakeMeibel, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`meibel_fake` served on 127.0.0.1, with MEIBEL_BASE_URL and MEIBEL_API_KEY pointing at it.

    For code under test that builds its own MeibelClient from the environment.
    """
    with meibel_fake.serve() as base_url:
        monkeypatch.setenv("MEIBEL_BASE_URL", base_url)
        monkeypatch.setenv("MEIBEL_API_KEY", "fake-key")
        yield base_url
