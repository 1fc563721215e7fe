"""The Batch API through the real app (both prefixes, both stores), answered by the fake model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.services import Services, build_services
from support.callers import Caller
from support.envelopes import assert_openai_error
from support.jobs import drain_jobs

PREFIXES = ["/v1", "/compatible-mode/v1"]


@pytest.fixture
def batch_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path / "data",
        storage={"database_url": database_url},
        inference={"backends": {"embedded": {"kind": "fake"}}},
    )
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture
def client(batch_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(batch_services)) as test_client:
        yield test_client


@pytest.fixture
def alice(client: TestClient, batch_services: Services) -> Caller:
    return Caller(client, batch_services.keys.create_key("alice"))


@pytest.fixture
def bob(client: TestClient, batch_services: Services) -> Caller:
    return Caller(client, batch_services.keys.create_key("bob"))


def request_line(custom_id: str, content: str, **body: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "qwen-long", "messages": [{"role": "user", "content": content}], **body},
    }


def upload_batch(caller: Caller, lines: list[dict[str, Any]], prefix: str = "/v1") -> str:
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return str(caller.upload("requests.jsonl", data, purpose="batch", prefix=prefix)["id"])


def create(caller: Caller, input_file_id: str, prefix: str = "/v1", **extra: Any) -> Any:
    return caller.client.post(
        f"{prefix}/batches",
        headers=caller.headers,
        json={
            "input_file_id": input_file_id,
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            **extra,
        },
    )


def content_lines(caller: Caller, file_id: str, prefix: str = "/v1") -> list[dict[str, Any]]:
    response = caller.client.get(f"{prefix}/files/{file_id}/content", headers=caller.headers)
    assert response.status_code == 200, response.text
    return [json.loads(x) for x in response.text.splitlines()]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_batch_runs_to_completed_with_output_and_error_files(
    alice: Caller, batch_services: Services, prefix: str
) -> None:
    lines = [request_line(f"req-{i}", f"Say {i}") for i in range(4)]
    lines.insert(2, request_line("bad-model", "x", model="qwen-unknown"))
    file_id = upload_batch(alice, lines, prefix)
    response = create(alice, file_id, prefix, metadata={"ds_name": "nightly", "ds_description": "four lines"})
    assert response.status_code == 200, response.text
    batch = response.json()
    assert batch["id"].startswith("batch_") and batch["object"] == "batch"
    assert batch["status"] == "validating" and batch["input_file_id"] == file_id
    assert batch["metadata"] == {"ds_name": "nightly", "ds_description": "four lines"}
    assert batch["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert batch["errors"] is None and batch["output_file_id"] is None

    drain_jobs(batch_services)
    done = alice.client.get(f"{prefix}/batches/{batch['id']}", headers=alice.headers).json()
    assert done["status"] == "completed"
    assert done["request_counts"] == {"total": 5, "completed": 4, "failed": 1}
    for stamp in ("in_progress_at", "finalizing_at", "completed_at", "expires_at"):
        assert isinstance(done[stamp], int)
    assert done["output_file_id"].startswith("file-batch_output-")
    assert done["error_file_id"].startswith("file-batch_output-")
    output_file = alice.client.get(f"{prefix}/files/{done['output_file_id']}", headers=alice.headers).json()
    assert output_file["purpose"] == "batch_output" and output_file["status"] == "processed"

    output = content_lines(alice, done["output_file_id"], prefix)
    assert [x["custom_id"] for x in output] == ["req-0", "req-1", "req-2", "req-3"]
    errors = content_lines(alice, done["error_file_id"], prefix)
    assert [x["custom_id"] for x in errors] == ["bad-model"]
    assert errors[0]["response"]["status_code"] == 404
    assert errors[0]["response"]["body"]["error"]["code"] == "model_not_found"

    # the body is what the chat route answers for the same request
    realtime = alice.client.post(
        f"{prefix}/chat/completions", headers=alice.headers, json=lines[0]["body"]
    ).json()
    batched = output[0]["response"]["body"]
    for volatile in ("id", "created"):
        assert batched.pop(volatile) and realtime.pop(volatile)
    assert batched == realtime


def test_batch_lines_are_billed_at_half_price(alice: Caller, batch_services: Services) -> None:
    file_id = upload_batch(alice, [request_line(f"r{i}", "a few words to bill") for i in range(3)])
    batch_id = create(alice, file_id).json()["id"]
    drain_jobs(batch_services)
    usage = alice.client.get("/v1/usage", headers=alice.headers).json()["data"]
    assert len(usage) == 1
    row = usage[0]
    assert (row["model"], row["requests"], row["batch_requests"], row["free_tokens"]) == (
        "qwen-long",
        3,
        3,
        0,
    )
    assert row["cost"] == pytest.approx(row["list_cost"] / 2) and row["cost"] > 0
    records = batch_services.ledger.records(batch_id=batch_id)
    assert all(r.cost_pico * 2 == r.list_pico and r.discount == 0.5 for r in records)


def test_an_invalid_input_file_fails_with_line_numbers(alice: Caller, batch_services: Services) -> None:
    lines = [
        request_line("a", "x"),
        request_line("a", "y"),
        {**request_line("c", "z"), "url": "/v1/embeddings"},
    ]
    batch_id = create(alice, upload_batch(alice, lines)).json()["id"]
    drain_jobs(batch_services)
    failed = alice.client.get(f"/v1/batches/{batch_id}", headers=alice.headers).json()
    assert failed["status"] == "failed" and isinstance(failed["failed_at"], int)
    assert failed["errors"]["object"] == "list"
    assert [(e["code"], e["line"]) for e in failed["errors"]["data"]] == [
        ("duplicate_custom_id", 2),
        ("invalid_url", 3),
    ]


def test_list_pages_newest_first(alice: Caller) -> None:
    file_id = upload_batch(alice, [request_line("a", "x")])
    ids = [create(alice, file_id).json()["id"] for _ in range(3)]
    page = alice.client.get("/v1/batches?limit=2", headers=alice.headers).json()
    assert page["object"] == "list" and page["has_more"] is True
    assert [b["id"] for b in page["data"]] == ids[::-1][:2]
    rest = alice.client.get(f"/v1/batches?limit=2&after={page['last_id']}", headers=alice.headers).json()
    assert [b["id"] for b in rest["data"]] == [ids[0]] and rest["has_more"] is False


def test_cancel_before_and_after_the_batch_ran(alice: Caller, batch_services: Services) -> None:
    file_id = upload_batch(alice, [request_line(f"r{i}", "x") for i in range(3)])
    first = create(alice, file_id).json()
    cancelling = alice.client.post(f"/v1/batches/{first['id']}/cancel", headers=alice.headers).json()
    assert cancelling["status"] == "cancelling" and isinstance(cancelling["cancelling_at"], int)
    second = create(alice, file_id).json()
    drain_jobs(batch_services)
    cancelled = alice.client.get(f"/v1/batches/{first['id']}", headers=alice.headers).json()
    assert cancelled["status"] == "cancelled" and cancelled["output_file_id"] is None
    # cancelled before its input was read: nothing ran, nothing to report
    assert cancelled["error_file_id"] is None and cancelled["request_counts"]["total"] == 0
    again = alice.client.post(f"/v1/batches/{first['id']}/cancel", headers=alice.headers)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    too_late = alice.client.post(f"/v1/batches/{second['id']}/cancel", headers=alice.headers)
    assert_openai_error(too_late, 400)


def test_errors_in_the_openai_envelope(alice: Caller, bob: Caller) -> None:
    file_id = upload_batch(alice, [request_line("a", "x")])
    assert_openai_error(
        alice.client.get("/v1/batches/batch_nope", headers=alice.headers), 404, param="batch_id"
    )
    assert_openai_error(create(alice, "file-batch-missing"), 404, param="input_file_id")
    document = alice.upload("doc.txt", b"some text")["id"]
    assert_openai_error(create(alice, document), 400, param="input_file_id")
    assert_openai_error(create(alice, file_id, endpoint="/v1/embeddings"), 400, param="endpoint")
    assert_openai_error(create(alice, file_id, completion_window="1h"), 400, param="completion_window")
    assert_openai_error(create(alice, file_id, metadata={f"k{i}": "v" for i in range(17)}), 400)
    missing = alice.client.post(
        "/v1/batches", headers=alice.headers, json={"endpoint": "/v1/chat/completions"}
    )
    assert_openai_error(missing, 400, param="input_file_id")
    batch_id = create(alice, file_id).json()["id"]
    assert_openai_error(bob.client.get(f"/v1/batches/{batch_id}", headers=bob.headers), 404)
    assert_openai_error(bob.client.post(f"/v1/batches/{batch_id}/cancel", headers=bob.headers), 404)
    assert_openai_error(create(bob, file_id), 404)  # another account's file
    assert bob.client.get("/v1/batches", headers=bob.headers).json()["data"] == []
    assert_openai_error(alice.client.get("/v1/batches"), 401)
