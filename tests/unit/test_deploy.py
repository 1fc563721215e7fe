"""The deployment recipe in deploy/ stays true: the settings its processes get are settings longdoc
accepts, and every long-running service has a health check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from longdoc.config import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_the_recipes_settings_are_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = compose()["x-longdoc"]["environment"]
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    settings = Settings()  # unknown or malformed LONGDOC_* variables fail here
    assert settings.storage.blob_kind == "s3" and settings.storage.s3.endpoint_url == "http://minio:9000"
    assert settings.storage.database_url and settings.storage.database_url.startswith("postgresql+psycopg://")
    assert settings.rate_limits.redis_url
    assert settings.inference.backends[settings.inference.default_backend].kind == "openai"


def test_two_apis_two_workers_and_health_checks() -> None:
    services = compose()["services"]
    assert {"api1", "api2", "worker1", "worker2", "proxy", "postgres", "minio", "model"} <= set(services)
    assert (
        services["api1"]["command"][:2] == ["longdoc", "serve"] and "--workers" in services["api1"]["command"]
    )
    assert services["worker2"]["command"][:2] == ["longdoc", "worker"]
    one_shot = {"minio-bucket"}
    assert [
        name for name, service in services.items() if name not in one_shot and "healthcheck" not in service
    ] == []
