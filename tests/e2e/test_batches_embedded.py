"""One small batch answered by the embedded model (Qwen2.5-Coder-0.5B on llama.cpp), end to end
through the official ``openai`` SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.models import require_embedded_model
from support.server import LongdocServer, openai_client, raw

pytestmark = pytest.mark.slow

QUESTIONS = {
    "sum": "What is 2 + 2? Reply with the number only.",
    "capital": "What is the capital of France? Reply with one word.",
}


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    require_embedded_model()
    server = LongdocServer(tmp_path_factory.mktemp("embedded-batch") / "data").start()
    yield server
    server.stop()


def test_a_two_line_batch_with_the_embedded_model(model_server: LongdocServer, tmp_path: Path) -> None:
    client = openai_client(model_server)
    path = tmp_path / "questions.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "custom_id": name,
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "qwen-long",
                        "messages": [{"role": "user", "content": question}],
                        "temperature": 0,
                        "max_tokens": 16,
                    },
                }
            )
            + "\n"
            for name, question in QUESTIONS.items()
        )
    )
    started = time.monotonic()
    batch = client.batches.create(
        input_file_id=client.files.create(file=path, purpose="batch").id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    deadline = time.monotonic() + 600
    while (batch := client.batches.retrieve(batch.id)).status not in (
        "completed",
        "failed",
        "expired",
        "cancelled",
    ):
        assert time.monotonic() < deadline, batch
        time.sleep(0.5)
    took = time.monotonic() - started
    assert batch.status == "completed", batch
    assert batch.error_file_id is None
    output = {
        x["custom_id"]: x["response"]["body"]
        for x in map(json.loads, client.files.content(batch.output_file_id).text.splitlines())  # type: ignore[arg-type]
    }
    assert set(output) == set(QUESTIONS)
    assert "4" in output["sum"]["choices"][0]["message"]["content"]
    assert "paris" in output["capital"]["choices"][0]["message"]["content"].lower()
    assert all(0 < body["usage"]["completion_tokens"] <= 16 for body in output.values())
    [row] = raw(model_server, "GET", "/v1/usage", model_server.api_key).json()["data"]
    assert row["batch_requests"] == 2 and row["cost"] == pytest.approx(row["list_cost"] / 2)
    print(f"embedded batch of 2 lines: {took:.1f} s from create to completed")
