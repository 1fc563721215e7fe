"""End-to-end fixtures: a real ``longdoc serve`` on loopback, driven by the official SDKs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server import LongdocServer


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LongdocServer]:
    running = LongdocServer(tmp_path / "data", database_url=database_url).start()
    yield running
    running.stop()
