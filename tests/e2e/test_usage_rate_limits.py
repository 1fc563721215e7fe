"""Rate limits across two real ``longdoc serve`` processes on one store: the official ``openai``
SDK gets 429 (RateLimitError) with Retry-After from either process once the key's requests are
spent, DashScope callers get Throttling.RateQuota, and both succeed again after waiting."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from support.server import LongdocServer, openai_client, raw

WINDOW = 2
LIMITS = {
    "LONGDOC_INFERENCE__BACKENDS": json.dumps({"embedded": {"kind": "fake"}}),
    "LONGDOC_RATE_LIMITS__WINDOW_SECONDS": str(WINDOW),
    "LONGDOC_RATE_LIMITS__KEY_REQUESTS_PER_MINUTE": "4",
}
MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
def two_servers(tmp_path: Path, database_url: str) -> Iterator[tuple[LongdocServer, LongdocServer]]:
    first = LongdocServer(tmp_path / "data", database_url=database_url, env=LIMITS).start()
    second = LongdocServer(
        tmp_path / "data",
        database_url=database_url,
        env={**LIMITS, "LONGDOC_SERVER__WORKERS_IN_PROCESS": "0"},
    ).start()
    second.api_key = first.api_key
    yield first, second
    second.stop()
    first.stop()


def test_the_limit_holds_across_processes_in_both_protocols(
    two_servers: tuple[LongdocServer, LongdocServer],
) -> None:
    first, second = two_servers
    clients = [openai_client(first), openai_client(second)]
    time.sleep(WINDOW - time.time() % WINDOW + 0.05)  # a fresh window for the burst
    for client in clients * 2:
        client.chat.completions.create(model="qwen-long", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as refused:
        clients[0].chat.completions.create(model="qwen-long", messages=MESSAGES)  # type: ignore[arg-type]
    assert refused.value.status_code == 429 and refused.value.code == "rate_limit_exceeded"
    wait = int(refused.value.response.headers["retry-after"])
    assert 1 <= wait <= WINDOW
    generation = raw(
        second,
        "POST",
        "/api/v1/services/aigc/text-generation/generation",
        second.api_key,
        json={
            "model": "qwen-long",
            "input": {"messages": MESSAGES},
            "parameters": {"result_format": "message"},
        },
    )
    assert generation.status_code == 429 and generation.json()["code"] == "Throttling.RateQuota"
    assert generation.headers["retry-after"]
    time.sleep(wait)
    answer = clients[1].chat.completions.create(model="qwen-long", messages=MESSAGES)  # type: ignore[arg-type]
    assert answer.choices[0].message.content == "hello"
