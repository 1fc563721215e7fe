"""Suite-wide options and fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from longdoc.config import Settings
from support.s3 import s3_server
from support.stores import STORES, store_url

# llama.cpp's OpenMP threads spin while waiting by default; on a shared 2-core machine that made
# generation ~10x slower. OpenMP reads this once, when llama.cpp loads (here or in a child server).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", help="rewrite the parser golden files")


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs against SQLite and against PostgreSQL (skipped without one)."""
    with store_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3-compatible server on loopback for the session (skipped without moto)."""
    with s3_server(tmp_path_factory.mktemp("s3")) as endpoint:
        yield endpoint


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", storage={"database_url": database_url})


@pytest.fixture
def services(settings: Settings) -> Iterator[object]:
    from longdoc.services import build_services

    built = build_services(settings)
    yield built
    built.close()
