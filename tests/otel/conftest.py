"""An instrumented SDK for each test that asks for `recorded`: spans in the SDK's in-memory
exporter, the duration histogram in its in-memory metric reader; uninstrumented after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from otel_support import Recorded, instrumented


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    with instrumented() as recorded:
        yield recorded
