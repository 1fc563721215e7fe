"""API tests go through the real ASGI app, built on real stores (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.services import Services
from support.callers import Caller


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as test_client:
        yield test_client


@pytest.fixture
def alice(client: TestClient, services: Services) -> Caller:
    return Caller(client, services.keys.create_key("alice"))


@pytest.fixture
def bob(client: TestClient, services: Services) -> Caller:
    return Caller(client, services.keys.create_key("bob"))
