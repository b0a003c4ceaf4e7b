"""The pytest plugin (entry point `meibel` in pytest11): `meibel_fake` and `meibel_fake_server`.

pytest loads it in every environment where meibel-sdk is installed, with or without the
`[testing]` extra, so it imports nothing optional (nor httpx2, nor meibel.testing) until one of
its fixtures is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ._extras import MissingExtraError

if TYPE_CHECKING:
    from .testing import FakeMeibel


@pytest.fixture
def meibel_fake(monkeypatch: pytest.MonkeyPatch) -> FakeMeibel:
    """A fresh FakeMeibel: `meibel_fake.client()` gives a MeibelClient wired to it.

    The test runs without the MEIBEL_* variables of the environment (a developer's key, server
    or datasource), as on a machine that has none; they are back after it.
    """
    for name in [name for name in os.environ if name.startswith("MEIBEL_")]:
        monkeypatch.delenv(name)
    try:
        from .testing import FakeMeibel
    except MissingExtraError as error:
        missing = str(error)
    else:
        return FakeMeibel()
    # Outside the except block, so pytest shows the one message and no exception chain.
    pytest.fail(f"meibel_fake: {missing}", pytrace=False)


@pytest.fixture
def meibel_fake_server(meibel_fake: FakeMeibel, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`meibel_fake` served on 127.0.0.1, with MEIBEL_BASE_URL and MEIBEL_API_KEY pointing at it
    (and no other MEIBEL_* variable).

    For code under test that builds its own MeibelClient from the environment.
    """
    with meibel_fake.serve() as base_url:
        monkeypatch.setenv("MEIBEL_BASE_URL", base_url)
        monkeypatch.setenv("MEIBEL_API_KEY", "fake-key")
        yield base_url
