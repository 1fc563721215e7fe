"""Services whose embedded model is a given fake, for logic tests through the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.inference.fake import FakeBackend
from longdoc.services import Services, build_services
from support.callers import Caller


@contextmanager
def services_with_model(
    model: FakeBackend, tmp_path: Path, database_url: str, prompt_budget_tokens: int
) -> Iterator[Services]:
    backend = {"kind": "fake", "context_window": 8_192, "prompt_budget_tokens": prompt_budget_tokens}
    settings = Settings(
        data_dir=tmp_path / "data",
        storage={"database_url": database_url},
        inference={"backends": {"embedded": backend}},
    )
    built = build_services(settings)
    built.backends["embedded"] = model  # the chat engine serves from this same mapping
    try:
        yield built
    finally:
        built.close()


def extraction_body(
    model: FakeBackend,
    tmp_path: Path,
    database_url: str,
    document: str,
    ask: str,
    response_format: dict[str, Any],
    prompt_budget_tokens: int = 3_000,
    **extensions: Any,
) -> dict[str, Any]:
    """The body of an OpenAI-protocol chat response for ``document`` (a later system message),
    read by the extraction pipeline (not echoed by chat); ``extensions`` go in the request."""
    with (
        services_with_model(model, tmp_path, database_url, prompt_budget_tokens) as services,
        TestClient(create_app(services)) as client,
    ):
        caller = Caller(client, services.keys.create_key("alice"))
        response = client.post(
            "/compatible-mode/v1/chat/completions",
            headers=caller.headers,
            json={
                "model": "qwen-long",
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "system", "content": document},
                    {"role": "user", "content": ask},
                ],
                "response_format": response_format,
                **extensions,
            },
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["x_context"]["plan"] == "extract"
    return body


def extracted(
    model: FakeBackend,
    tmp_path: Path,
    database_url: str,
    document: str,
    ask: str,
    response_format: dict[str, Any],
) -> Any:
    """The JSON extracted from ``document`` (``extraction_body``)."""
    body = extraction_body(model, tmp_path, database_url, document, ask, response_format)
    return json.loads(body["choices"][0]["message"]["content"])
