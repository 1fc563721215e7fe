"""Through the real app: an extraction estimated to take longer than a request may is refused with
a pointer to the Batch API, and the same request as a batch line is answered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.services import Services, build_services
from support.callers import Caller
from support.jobs import drain_jobs

TEXT = "The warehouse was repainted in spring and the roof was mended. " * 300
BODY = {
    "model": "qwen-long",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "system", "content": TEXT},
        {"role": "user", "content": "List every room that was repainted."},
    ],
    "response_format": {
        "type": "json_schema",
        "json_schema": {
            "name": "rooms",
            "schema": {
                "type": "array",
                "items": {"type": "object", "properties": {"room": {"type": "string"}}},
            },
        },
    },
}


@pytest.fixture
def slow_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path / "data",
        storage={"database_url": database_url},
        # a model that reads 50 tokens/s: reading this text in list parts takes minutes
        inference={"backends": {"embedded": {"kind": "fake", "prompt_tokens_per_second": 50}}},
        extraction={"max_seconds": 30},
    )
    built = build_services(settings)
    yield built
    built.close()


def test_a_too_long_extraction_is_refused_and_answered_as_a_batch(slow_services: Services) -> None:
    with TestClient(create_app(slow_services)) as client:
        alice = Caller(client, slow_services.keys.create_key("alice"))
        refused = client.post("/v1/chat/completions", headers=alice.headers, json=BODY)
        assert refused.status_code == 400, refused.text
        assert "Batch API" in refused.json()["error"]["message"]

        line = {"custom_id": "rooms", "method": "POST", "url": "/v1/chat/completions", "body": BODY}
        data = (json.dumps(line) + "\n").encode()
        file_id = alice.upload("requests.jsonl", data, purpose="batch")["id"]
        batch = client.post(
            "/v1/batches",
            headers=alice.headers,
            json={"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
        ).json()
        drain_jobs(slow_services)
        done = client.get(f"/v1/batches/{batch['id']}", headers=alice.headers).json()
        assert done["request_counts"] == {"total": 1, "completed": 1, "failed": 0}, done
