"""Usage recorded for every billed call (OpenAI and DashScope routes, streamed or not), and
``GET /v1/usage`` summing the caller's account by model or day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.services import Services, build_services
from support.callers import Caller
from support.envelopes import assert_openai_error


@pytest.fixture
def usage_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    built = build_services(
        Settings(
            data_dir=tmp_path / "data",
            storage={"database_url": database_url},
            inference={"backends": {"embedded": {"kind": "fake"}}},
        )
    )
    yield built
    built.close()


@pytest.fixture
def client(usage_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(usage_services)) as test_client:
        yield test_client


@pytest.fixture
def alice(client: TestClient, usage_services: Services) -> Caller:
    return Caller(client, usage_services.keys.create_key("alice"))


def chat(caller: Caller, model: str = "qwen-long", **extra: Any) -> Any:
    response = caller.client.post(
        "/compatible-mode/v1/chat/completions",
        headers=caller.headers,
        json={"model": model, "messages": [{"role": "user", "content": "Please bill these words."}], **extra},
    )
    assert response.status_code == 200, response.text
    return response


def list_cost(entry: Any, input_tokens: int, output_tokens: int) -> float:
    return float(
        (
            Decimal(str(entry.price_input_per_million)) * input_tokens
            + Decimal(str(entry.price_output_per_million)) * output_tokens
        )
        / 1_000_000
    )


def report(caller: Caller, **query: str) -> list[dict[str, Any]]:
    response = caller.client.get("/v1/usage", headers=caller.headers, params=query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "usage"
    return body["data"]  # type: ignore[no-any-return]


def test_a_call_is_recorded_with_its_key_and_paid_by_the_free_quota(
    alice: Caller, usage_services: Services
) -> None:
    usage = chat(alice).json()["usage"]
    [row] = report(alice)
    entry = usage_services.catalog.get("qwen-long")
    assert row["model"] == "qwen-long" and row["currency"] == "CNY"
    assert (row["requests"], row["batch_requests"]) == (1, 0)
    assert (row["input_tokens"], row["output_tokens"]) == (usage["prompt_tokens"], usage["completion_tokens"])
    assert row["free_tokens"] == usage["total_tokens"] and row["cost"] == 0
    assert row["list_cost"] == pytest.approx(
        list_cost(entry, usage["prompt_tokens"], usage["completion_tokens"])
    )
    [record] = usage_services.ledger.records()
    assert record.key_id is not None and record.key_id.startswith("key-")


def test_models_without_free_quota_cost_from_the_first_token(alice: Caller, usage_services: Services) -> None:
    usage = chat(alice, model="qwen-doc-turbo").json()["usage"]
    [row] = report(alice)
    entry = usage_services.catalog.get("qwen-doc-turbo")
    assert row["currency"] == "USD" and row["free_tokens"] == 0
    assert (
        row["cost"]
        == row["list_cost"]
        == pytest.approx(list_cost(entry, usage["prompt_tokens"], usage["completion_tokens"]))
    )


def test_streamed_and_dashscope_calls_are_billed_alike(alice: Caller, usage_services: Services) -> None:
    streamed = chat(alice, stream=True, stream_options={"include_usage": True})
    assert "data: [DONE]" in streamed.text
    generation = alice.client.post(
        "/api/v1/services/aigc/text-generation/generation",
        headers=alice.headers,
        json={
            "model": "qwen-long",
            "input": {"messages": [{"role": "user", "content": "Please bill these words."}]},
            "parameters": {"result_format": "message"},
        },
    )
    assert generation.status_code == 200, generation.text
    records = usage_services.ledger.records()
    assert len(records) == 2 and len({r.key_id for r in records}) == 1 and records[0].key_id
    assert records[0].input_tokens == records[1].input_tokens  # the same words, billed the same
    ds_usage = generation.json()["usage"]
    assert records[1].input_tokens == ds_usage["input_tokens"]
    assert records[1].output_tokens == ds_usage["output_tokens"]


def test_group_by_day_and_the_time_range(alice: Caller) -> None:
    chat(alice)
    chat(alice, model="qwen-doc-turbo")
    today = datetime.now(UTC).date()
    by_day = report(alice, group_by="day")
    assert sorted((r["day"], r["currency"], r["requests"]) for r in by_day) == [
        (today.isoformat(), "CNY", 1),
        (today.isoformat(), "USD", 1),
    ]
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert report(alice, start=tomorrow) == []
    assert report(alice, end=today.isoformat()) == []
    assert len(report(alice, start=today.isoformat(), end=tomorrow)) == 2
    assert len(report(alice, start="0")) == 2


def test_only_the_callers_account_and_errors(
    alice: Caller, client: TestClient, usage_services: Services
) -> None:
    chat(alice)
    bob = Caller(client, usage_services.keys.create_key("bob"))
    assert report(bob) == []
    assert_openai_error(
        alice.client.get("/v1/usage?start=yesterday", headers=alice.headers), 400, param="start"
    )
    assert_openai_error(alice.client.get("/v1/usage?group_by=key", headers=alice.headers), 400)
    assert_openai_error(alice.client.get("/v1/usage"), 401)
