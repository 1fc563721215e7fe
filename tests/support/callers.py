"""A test client bound to one account's key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient


@dataclass
class Caller:
    """A test client bound to one account's key."""

    client: TestClient
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def upload(
        self, name: str, data: bytes, purpose: str = "file-extract", prefix: str = "/v1"
    ) -> dict[str, Any]:
        response = self.client.post(
            f"{prefix}/files", headers=self.headers, files={"file": (name, data)}, data={"purpose": purpose}
        )
        assert response.status_code == 200, response.text
        return response.json()
