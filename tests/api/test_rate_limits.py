"""Rate limits through the real app: 429 with Retry-After in both protocols, then success after
waiting; counts shared by two apps (two API processes) on one store, or on Redis."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.services import Services, build_services
from support.callers import Caller
from support.envelopes import assert_openai_error

WINDOW = 2
REDIS_URL = "redis://127.0.0.1:6379/15"
CHAT = "/v1/chat/completions"
GENERATION = "/api/v1/services/aigc/text-generation/generation"


def chat_body(text: str = "hello there") -> dict[str, Any]:
    return {"model": "qwen-long", "messages": [{"role": "user", "content": text}]}


def generation_body(text: str = "hello there") -> dict[str, Any]:
    return {
        "model": "qwen-long",
        "input": {"messages": [{"role": "user", "content": text}]},
        "parameters": {"result_format": "message"},
    }


def limited_services(tmp_path: Path, database_url: str, **limits: Any) -> Services:
    return build_services(
        Settings(
            data_dir=tmp_path / "data",
            storage={"database_url": database_url},
            inference={"backends": {"embedded": {"kind": "fake"}}},
            rate_limits={"window_seconds": WINDOW, **limits},
        )
    )


def callers(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Caller]]:
    opened: list[tuple[Services, TestClient]] = []

    def make(key: str | None = None, **limits: Any) -> Caller:
        services = limited_services(tmp_path, database_url, **limits)
        client = TestClient(create_app(services)).__enter__()
        opened.append((services, client))
        return Caller(client, key or services.keys.create_key("alice"))

    yield make
    for services, client in opened:
        client.__exit__(None, None, None)
        services.close()


@pytest.fixture
def make_caller(tmp_path: Path) -> Iterator[Callable[..., Caller]]:
    """Apps on SQLite: what is refused, and how, does not depend on the store."""
    yield from callers(tmp_path, f"sqlite:///{tmp_path / 'longdoc.db'}")


@pytest.fixture
def make_store_caller(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Caller]]:
    """Apps on each store (SQLite and PostgreSQL)."""
    yield from callers(tmp_path, database_url)


def in_one_window(burst: Callable[[], list[Any]]) -> list[Any]:
    """The responses to a burst of requests sent in one counting window. A slow machine may not fit
    the burst in one: then the turn of the window cut it in two and it is sent again in the next."""
    for _ in range(3):
        time.sleep(WINDOW - time.time() % WINDOW + 0.05)  # a fresh window
        window = time.time() // WINDOW
        responses = burst()
        if time.time() // WINDOW == window:
            return responses
    pytest.fail(f"three bursts each took longer than the {WINDOW} s window")


def retry_after(response: Any) -> int:
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= WINDOW
    return seconds


def test_over_the_request_limit_openai_429_then_success_after_retry_after(
    make_caller: Callable[..., Caller],
) -> None:
    alice = make_caller(key_requests_per_minute=2)
    *accepted, refused = in_one_window(
        lambda: [alice.client.post(CHAT, headers=alice.headers, json=chat_body()) for _ in range(3)]
    )
    assert [response.status_code for response in accepted] == [200, 200]
    error = assert_openai_error(refused, 429, code="rate_limit_exceeded")
    assert error["type"] == "rate_limit_exceeded" and "2 requests per 2 s" in error["message"]
    time.sleep(retry_after(refused))
    assert alice.client.post(CHAT, headers=alice.headers, json=chat_body()).status_code == 200


def test_over_the_request_limit_dashscope_429_then_success_after_retry_after(
    make_caller: Callable[..., Caller],
) -> None:
    alice = make_caller(key_requests_per_minute=2)
    *accepted, refused = in_one_window(
        lambda: [
            alice.client.post(GENERATION, headers=alice.headers, json=generation_body()) for _ in range(3)
        ]
    )
    assert [response.status_code for response in accepted] == [200, 200], accepted[-1].text
    assert refused.status_code == 429
    body = refused.json()
    assert set(body) == {"code", "message", "request_id"}
    assert body["code"] == "Throttling.RateQuota" and body["request_id"] == refused.headers["x-request-id"]
    time.sleep(retry_after(refused))
    assert alice.client.post(GENERATION, headers=alice.headers, json=generation_body()).status_code == 200


def test_spent_tokens_refuse_the_next_request_until_the_window_turns(
    make_caller: Callable[..., Caller],
) -> None:
    alice = make_caller(key_tokens_per_minute=20)
    first, refused = in_one_window(
        lambda: [
            alice.client.post(CHAT, headers=alice.headers, json=chat_body("count these words " * 5)),
            alice.client.post(CHAT, headers=alice.headers, json=chat_body()),
        ]
    )
    assert first.status_code == 200 and first.json()["usage"]["total_tokens"] >= 20
    assert (
        "Tokens rate limit exceeded"
        in assert_openai_error(refused, 429, code="rate_limit_exceeded")["message"]
    )
    time.sleep(retry_after(refused))
    assert alice.client.post(CHAT, headers=alice.headers, json=chat_body()).status_code == 200


def test_batch_creation_counts_as_a_request(make_caller: Callable[..., Caller]) -> None:
    alice = make_caller(key_requests_per_minute=1)
    file_id = alice.upload(
        "in.jsonl", b'{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\n', "batch"
    )["id"]
    create = {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    created, refused = in_one_window(
        lambda: [alice.client.post("/v1/batches", headers=alice.headers, json=create) for _ in range(2)]
    )
    assert created.status_code == 200
    assert_openai_error(refused, 429)
    assert alice.client.get("/v1/batches", headers=alice.headers).status_code == 200  # reading is not metered


def test_per_account_overrides(make_caller: Callable[..., Caller]) -> None:
    alice = make_caller(key_requests_per_minute=1, accounts={"alice": {"key_requests_per_minute": 3}})
    responses = in_one_window(
        lambda: [alice.client.post(CHAT, headers=alice.headers, json=chat_body()) for _ in range(4)]
    )
    assert [response.status_code for response in responses[:3]] == [200] * 3
    assert_openai_error(responses[3], 429)


@pytest.mark.parametrize("counters", ["store", "redis"])
def test_two_api_processes_share_the_counts(make_store_caller: Callable[..., Caller], counters: str) -> None:
    make_caller = make_store_caller
    limits: dict[str, Any] = {"key_requests_per_minute": 4}
    if counters == "redis":
        try:
            socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        except OSError:
            pytest.skip("Redis is not reachable at 127.0.0.1:6379")
        limits["redis_url"] = REDIS_URL
    first = make_caller(**limits)
    second = make_caller(first.key, **limits)  # another app, own engine and pools, same store
    turns = (first, second, first, second, first, second)
    responses = in_one_window(
        lambda: [c.client.post(CHAT, headers=c.headers, json=chat_body()) for c in turns]
    )
    assert [response.status_code for response in responses[:4]] == [200] * 4
    for refused in responses[4:]:
        assert_openai_error(refused, 429)
