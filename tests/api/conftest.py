"""API tests go through the real ASGI app, built on real stores (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.services import Services


@dataclass
class Caller:
    """A test client bound to one account's key."""

    client: TestClient
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def upload(self, name: str, data: bytes, purpose: str = "file-extract", prefix: str = "/v1") -> dict:
        response = self.client.post(
            f"{prefix}/files", headers=self.headers, files={"file": (name, data)}, data={"purpose": purpose}
        )
        assert response.status_code == 200, response.text
        return response.json()


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
