"""The embedded model serves one request at a time: a full line answers 503 with Retry-After, and a
client that goes away frees the model for the next one."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from support.models import require_embedded_model
from support.server import LongdocServer

LONG = {"role": "user", "content": "Count from 1 to 2000, one number per line."}
SHORT = {"role": "user", "content": "Say hello."}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    require_embedded_model()
    backend = {"embedded": {"kind": "llama_cpp", "max_waiting": 0, "n_ctx": 4096}}
    env = {"LONGDOC_INFERENCE__BACKENDS": json.dumps(backend)}
    running = LongdocServer(tmp_path_factory.mktemp("queue") / "data", env=env).start()
    yield running
    running.stop()


def test_a_busy_model_answers_503_then_a_disconnect_frees_it(server: LongdocServer) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    url = f"{server.origin}/v1/chat/completions"
    body = {"model": "qwen-long", "stream": True, "max_tokens": 3000, "temperature": 0, "messages": [LONG]}
    with (
        httpx.Client(timeout=120) as long_client,
        long_client.stream("POST", url, json=body, headers=headers) as long,
    ):
        assert long.status_code == 200
        lines = long.iter_lines()
        while "content" not in next(lines):  # the model is generating now
            pass

        busy = httpx.post(url, headers=headers, timeout=60, json={"model": "qwen-long", "messages": [SHORT]})
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"]["code"] == "model_unavailable"
        assert int(busy.headers["retry-after"]) >= 1
    # the streaming client hung up after a few tokens of a 3,000-token answer

    started = time.monotonic()
    for _ in range(50):  # the cancelled generation ends at its next token
        freed = httpx.post(
            url,
            headers=headers,
            timeout=120,
            json={"model": "qwen-long", "max_tokens": 8, "messages": [SHORT]},
        )
        if freed.status_code != 503:
            break
        time.sleep(0.2)
    assert freed.status_code == 200, freed.text
    assert time.monotonic() - started < 60  # far less than the 3,000 tokens the first answer wanted
