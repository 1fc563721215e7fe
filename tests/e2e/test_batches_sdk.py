"""Batches through the official ``openai`` SDK against a real ``longdoc serve`` with the fake model:
20 requests to completed (two of them failing), half price in the ledger and in ``longdoc usage``,
cancelling a running batch, and killing the server mid-batch without any line answered twice."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from support.server import LongdocServer, create_key, openai_client, raw

TERMINAL = {"completed", "failed", "expired", "cancelled"}


def fake_env(seconds_per_token: float = 0.0, **extra: str) -> dict[str, str]:
    backend = {"kind": "fake", "replies": [], "seconds_per_token": seconds_per_token}
    return {"LONGDOC_INFERENCE__BACKENDS": json.dumps({"embedded": backend}), **extra}


def request_line(custom_id: str, content: str, model: str = "qwen-long", **body: Any) -> str:
    line = {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": model, "messages": [{"role": "user", "content": content}], **body},
    }
    return json.dumps(line) + "\n"


def upload(client: openai.OpenAI, folder: Path, lines: list[str]) -> str:
    path = folder / "requests.jsonl"
    path.write_text("".join(lines))
    return client.files.create(file=path, purpose="batch").id


def wait_until(client: openai.OpenAI, batch_id: str, done: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        batch = client.batches.retrieve(batch_id)
        if done(batch) or time.monotonic() > deadline:
            return batch
        time.sleep(0.1)


def jsonl(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    return [json.loads(x) for x in client.files.content(file_id).text.splitlines()] if file_id else []


def usage_rows(server: LongdocServer, key: str) -> list[dict[str, Any]]:
    response = raw(server, "GET", "/v1/usage", key)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def fast_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    server = LongdocServer(tmp_path_factory.mktemp("batches") / "data", env=fake_env()).start()
    yield server
    server.stop()


def test_twenty_requests_complete_with_two_failures_at_half_price(
    fast_server: LongdocServer, tmp_path: Path
) -> None:
    key = create_key(fast_server, "batcher")
    client = openai_client(fast_server, key)
    lines = [request_line(f"request-{i:02}", f"Repeat after me: item {i} of the batch") for i in range(20)]
    lines[7] = request_line("request-07", "x", model="qwen-no-such-model")
    lines[13] = request_line("request-13", "x", max_tokens=10**9)
    batch = client.batches.create(
        input_file_id=upload(client, tmp_path, lines),
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"ds_name": "sdk-test", "ds_description": "twenty lines"},
    )
    assert batch.status == "validating" and batch.metadata == {
        "ds_name": "sdk-test",
        "ds_description": "twenty lines",
    }
    done = wait_until(client, batch.id, lambda b: b.status in TERMINAL)
    assert done.status == "completed", done
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (
        20,
        18,
        2,
    )
    assert batch.id in [b.id for b in client.batches.list()]

    output, errors = jsonl(client, done.output_file_id), jsonl(client, done.error_file_id)
    assert done.output_file_id.startswith("file-batch_output-")  # type: ignore[union-attr]
    assert Counter(x["custom_id"] for x in output + errors) == Counter(f"request-{i:02}" for i in range(20))
    assert [x["custom_id"] for x in errors] == ["request-07", "request-13"]
    assert [x["response"]["status_code"] for x in errors] == [404, 400]
    assert errors[0]["error"]["code"] == "model_not_found"
    first = output[0]["response"]["body"]
    assert first["object"] == "chat.completion"
    assert first["choices"][0]["message"]["content"] == "Repeat after me: item 0 of the batch"

    [row] = usage_rows(fast_server, key)
    assert (row["requests"], row["batch_requests"], row["free_tokens"]) == (18, 18, 0)
    assert row["input_tokens"] == sum(x["response"]["body"]["usage"]["prompt_tokens"] for x in output)
    assert row["cost"] == pytest.approx(row["list_cost"] / 2) and row["cost"] > 0

    # the operator's view: longdoc usage on the server's store
    printed = subprocess.run(
        [
            sys.executable,
            "-m",
            "longdoc.cli",
            "usage",
            "--account",
            "batcher",
            "--data-dir",
            str(fast_server.data_dir),
        ],
        env=fast_server.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    header, *rows = printed.splitlines()
    assert header.split()[:4] == ["account", "model", "requests", "batch"]
    cells = rows[0].split()
    assert cells[:4] == ["batcher", "qwen-long", "18", "18"]
    list_cost, cost = float(cells[8]), float(cells[9])
    assert cost == pytest.approx(list_cost / 2, abs=1e-6) and cells[10] == "CNY"
    assert rows[-1].split()[0] == "TOTAL"
    assert re.search(r"\b18\b", rows[-1])


@pytest.fixture
def slow_server(tmp_path: Path, database_url: str) -> Iterator[LongdocServer]:
    # about 0.3 s a line: long enough to act mid-batch, short enough to finish quickly
    env = fake_env(0.03, LONGDOC_JOBS__LEASE_SECONDS="2")
    server = LongdocServer(tmp_path / "data", database_url=database_url, env=env).start()
    yield server
    server.stop()


SLOW_TEXT = "one two three four five six seven eight nine ten"


def test_cancel_a_running_batch(slow_server: LongdocServer, tmp_path: Path) -> None:
    client = openai_client(slow_server)
    lines = [request_line(f"r{i:02}", SLOW_TEXT) for i in range(20)]
    batch = client.batches.create(
        input_file_id=upload(client, tmp_path, lines),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    running = wait_until(client, batch.id, lambda b: b.request_counts and b.request_counts.completed >= 2)
    assert running.status == "in_progress"
    asked = time.monotonic()
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status in ("cancelling", "cancelled") and cancelling.cancelling_at
    cancelled = wait_until(client, batch.id, lambda b: b.status in TERMINAL, timeout=10)
    took = time.monotonic() - asked
    assert cancelled.status == "cancelled" and cancelled.cancelled_at, cancelled
    assert took < 3, f"cancel took {took:.1f} s"
    print(f"cancel to cancelled: {took:.2f} s")
    counts = cancelled.request_counts
    assert counts is not None and 2 <= counts.completed < 20 and counts.completed + counts.failed == 20
    output, errors = jsonl(client, cancelled.output_file_id), jsonl(client, cancelled.error_file_id)
    assert len(output) == counts.completed
    assert {x["error"]["code"] for x in errors} == {"batch_cancelled"}
    assert Counter(x["custom_id"] for x in output + errors) == Counter(f"r{i:02}" for i in range(20))


def test_killing_the_server_mid_batch_answers_every_line_exactly_once(
    slow_server: LongdocServer, tmp_path: Path
) -> None:
    client = openai_client(slow_server)
    lines = [request_line(f"r{i:02}", f"{SLOW_TEXT} {i}") for i in range(20)]
    batch = client.batches.create(
        input_file_id=upload(client, tmp_path, lines),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    midway = wait_until(client, batch.id, lambda b: b.request_counts and b.request_counts.completed >= 5)
    assert midway.status == "in_progress" and midway.request_counts is not None
    answered_before = midway.request_counts.completed
    slow_server.kill()  # no shutdown: the job keeps its lease until it runs out
    killed_at = time.time()
    slow_server.start()
    client = openai_client(slow_server)
    done = wait_until(client, batch.id, lambda b: b.status in TERMINAL, timeout=60)
    print(f"killed after {answered_before} lines; completed {time.time() - killed_at:.1f} s after the kill")
    assert done.status == "completed", done
    assert done.request_counts is not None and done.request_counts.completed == 20
    output = jsonl(client, done.output_file_id)
    assert [x["custom_id"] for x in output] == [f"r{i:02}" for i in range(20)]
    assert [x["response"]["body"]["choices"][0]["message"]["content"] for x in output] == [
        f"{SLOW_TEXT} {i}" for i in range(20)
    ]
    # the lines answered before the crash kept their first answers
    kept = [x for x in output if x["response"]["body"]["created"] <= killed_at]
    assert len(kept) >= answered_before
    [row] = usage_rows(slow_server, slow_server.api_key or "")
    assert row["batch_requests"] == 20  # billed once each, however often answered
