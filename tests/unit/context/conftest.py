"""Fixtures for the context engine: one token counter per session, and the shared eval data."""

from __future__ import annotations

from pathlib import Path

import pytest

from longdoc.context.tokens import TokenCounter

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def counter() -> TokenCounter:
    return TokenCounter()


@pytest.fixture(scope="session")
def chinese_prose() -> str:
    return (DATA / "debian-edu-manual.zh-cn.prose.txt").read_text(encoding="utf-8")
