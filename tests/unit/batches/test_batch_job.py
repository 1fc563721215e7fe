"""The batch job on SQLite and PostgreSQL, with the fake model: order, crashes, cancel, expiry, busy model."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from longdoc.batches.job import BatchJobHandler
from longdoc.batches.lines import LineResult, LineRunner
from longdoc.batches.service import BATCH_JOB
from longdoc.config import Settings
from longdoc.core.accounts import Principal
from longdoc.core.batches import Batch, BatchStatus
from longdoc.core.errors import ModelUnavailable
from longdoc.core.files import FilePurpose
from longdoc.services import Services, build_services
from longdoc.storage.batches import PendingLine
from longdoc.storage.tables import jobs
from support.jobs import drain_jobs


class Crash(BaseException):
    """The process dying mid-line: nothing after it runs, no handler sees it."""


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path / "data",
        storage={"database_url": database_url},
        inference={"backends": {"embedded": {"kind": "fake"}}},
        jobs={"lease_seconds": 30},
    )
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture
def caller(services: Services) -> Principal:
    services.keys.create_key("alice")
    account = services.keys.ensure_account("alice")
    return Principal(account_id=account.id, key_id="key-test")


def line(custom_id: str, text: str, model: str = "qwen-long") -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": model, "messages": [{"role": "user", "content": text}]},
    }


def start_batch(services: Services, caller: Principal, lines: list[dict[str, Any]]) -> Batch:
    data = "".join(json.dumps(x) + "\n" for x in lines).encode()
    staged = services.blobs.stage([data])
    record = services.library.add(caller.account_id, staged, filename="in.jsonl", purpose=FilePurpose.BATCH)
    return services.batches.create(
        caller, input_file_id=record.id, endpoint="/v1/chat/completions", completion_window="24h"
    )


def file_lines(services: Services, caller: Principal, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    _, blob = services.library.content(caller.account_id, file_id)
    with blob:
        return [json.loads(x) for x in blob.read().decode().splitlines()]


class CountingRunner(LineRunner):
    """The real runner, counting calls per line; ``before`` runs first and may crash or cancel."""

    def __init__(self, services: Services, before: Callable[[int], None] = lambda n: None) -> None:
        super().__init__(services.chat)
        self.calls: Counter[int] = Counter()
        self._before = before

    def answer(self, batch: Batch, pending: PendingLine) -> LineResult:
        self.calls[pending.line_no] += 1
        self._before(pending.line_no)
        return super().answer(batch, pending)


def handler_of(services: Services, runner: LineRunner, **kwargs: Any) -> BatchJobHandler:
    return BatchJobHandler(
        services.db, services.blobs, services.queue, runner, services.settings.batches, **kwargs
    )


def run_jobs(services: Services, handler: BatchJobHandler, limit: int = 50) -> int:
    ran = 0
    while ran < limit and (job := services.queue.claim([BATCH_JOB])) is not None:
        handler(job)
        if services.queue.get(job.id).lease_token == job.lease_token:  # type: ignore[union-attr]
            services.queue.finish(job)
        ran += 1
    return ran


def test_lines_are_answered_in_order_into_the_output_file(services: Services, caller: Principal) -> None:
    batch = start_batch(services, caller, [line(f"r{i}", f"answer number {i}") for i in range(5)])
    assert batch.status is BatchStatus.VALIDATING
    drain_jobs(services)
    done = services.batches.get(caller.account_id, batch.id)
    assert done.status is BatchStatus.COMPLETED
    assert done.request_counts.model_dump() == {"total": 5, "completed": 5, "failed": 0}
    assert done.error_file_id is None and done.completed_at and done.finalizing_at and done.in_progress_at
    assert done.expires_at == done.created_at + 24 * 3600
    output = file_lines(services, caller, done.output_file_id)
    assert [x["custom_id"] for x in output] == [f"r{i}" for i in range(5)]
    first = output[0]
    assert first["id"].startswith("batch_req_") and first["error"] is None
    assert first["response"]["status_code"] == 200 and first["response"]["request_id"]
    body = first["response"]["body"]
    assert body["object"] == "chat.completion" and body["model"] == "qwen-long"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "answer number 0"}
    assert (
        body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    records = services.ledger.records(batch_id=batch.id)
    assert sorted(r.usage_key for r in records) == sorted(f"{batch.id}#{n}" for n in range(1, 6))
    assert all(r.discount == 0.5 and r.free_tokens == 0 and r.key_id == "key-test" for r in records)
    assert all(r.cost_pico * 2 == r.list_pico for r in records)


def test_a_crash_mid_batch_resumes_after_the_last_recorded_line(
    services: Services, caller: Principal
) -> None:
    batch = start_batch(services, caller, [line(f"r{i}", f"text {i}") for i in range(6)])
    crashed = threading.Event()

    def crash_on_line_4(line_no: int) -> None:
        if line_no == 4 and not crashed.is_set():
            crashed.set()
            raise Crash

    runner = CountingRunner(services, crash_on_line_4)
    handler = handler_of(services, runner)
    with pytest.raises(Crash):
        run_jobs(services, handler)
    midway = services.batches.get(caller.account_id, batch.id)
    assert midway.status is BatchStatus.IN_PROGRESS and midway.request_counts.completed == 3
    expire_leases(services)
    run_jobs(services, handler)
    done = services.batches.get(caller.account_id, batch.id)
    assert done.status is BatchStatus.COMPLETED and done.request_counts.completed == 6
    assert runner.calls == {1: 1, 2: 1, 3: 1, 4: 2, 5: 1, 6: 1}  # only the line in flight ran again
    output = file_lines(services, caller, done.output_file_id)
    assert [x["custom_id"] for x in output] == [f"r{i}" for i in range(6)]
    assert len(services.ledger.records(batch_id=batch.id)) == 6


def test_short_slices_chain_jobs_and_each_answers_a_line(services: Services, caller: Principal) -> None:
    batch = start_batch(services, caller, [line(f"r{i}", "x") for i in range(4)])
    services.settings.batches.slice_seconds = 1e-6
    runner = CountingRunner(services)
    ran = run_jobs(services, handler_of(services, runner))
    assert ran == 1 + 4  # validation, then one job per line (the last one also finishes)
    assert services.batches.get(caller.account_id, batch.id).status is BatchStatus.COMPLETED
    assert runner.calls == {1: 1, 2: 1, 3: 1, 4: 1}


def test_cancel_takes_effect_between_lines(services: Services, caller: Principal) -> None:
    batch = start_batch(services, caller, [line(f"r{i}", "x") for i in range(5)])

    def cancel_during_line_2(line_no: int) -> None:
        if line_no == 2:
            cancelling = services.batches.cancel(caller.account_id, batch.id)
            assert cancelling.status is BatchStatus.CANCELLING and cancelling.cancelling_at

    runner = CountingRunner(services, cancel_during_line_2)
    run_jobs(services, handler_of(services, runner))
    done = services.batches.get(caller.account_id, batch.id)
    assert done.status is BatchStatus.CANCELLED and done.cancelled_at
    assert set(runner.calls) == {1, 2}  # the running line finished; no other started
    assert done.request_counts.model_dump() == {"total": 5, "completed": 2, "failed": 3}
    assert [x["custom_id"] for x in file_lines(services, caller, done.output_file_id)] == ["r0", "r1"]
    errors = file_lines(services, caller, done.error_file_id)
    assert [(x["custom_id"], x["error"]["code"], x["response"]) for x in errors] == [
        (f"r{i}", "batch_cancelled", None) for i in (2, 3, 4)
    ]
    assert services.batches.cancel(caller.account_id, batch.id).status is BatchStatus.CANCELLED


def test_a_batch_past_its_window_expires(services: Services, caller: Principal) -> None:
    batch = start_batch(services, caller, [line(f"r{i}", "x") for i in range(4)])
    now = [float(batch.created_at)]
    handler = handler_of(
        services,
        CountingRunner(services, lambda n: now.__setitem__(0, now[0] + 12 * 3600)),
        clock=lambda: now[0],
    )
    run_jobs(services, handler)
    done = services.batches.get(caller.account_id, batch.id)
    assert done.status is BatchStatus.EXPIRED and done.expired_at
    assert done.request_counts.model_dump() == {"total": 4, "completed": 2, "failed": 2}
    codes = [(x["custom_id"], x["error"]["code"]) for x in file_lines(services, caller, done.error_file_id)]
    assert codes == [("r2", "batch_expired"), ("r3", "batch_expired")]


def test_a_busy_model_delays_the_line_instead_of_failing_it(services: Services, caller: Principal) -> None:
    batch = start_batch(services, caller, [line("a", "x"), line("b", "y")])
    busy = [True]

    def busy_once(line_no: int) -> None:
        if line_no == 2 and busy[0]:
            busy[0] = False
            raise ModelUnavailable("the model is busy")

    handler = handler_of(services, CountingRunner(services, busy_once), busy_retry_seconds=0.0)
    run_jobs(services, handler)
    done = services.batches.get(caller.account_id, batch.id)
    assert done.status is BatchStatus.COMPLETED and done.request_counts.failed == 0


def test_lines_the_model_cannot_answer_land_in_the_error_file(services: Services, caller: Principal) -> None:
    batch = start_batch(
        services,
        caller,
        [
            line("good", "hello"),
            line("no-model", "x", model="qwen-nonexistent"),
            {
                **line("no-file", "x"),
                "body": {
                    "model": "qwen-long",
                    "messages": [
                        {"role": "system", "content": "fileid://file-fe-000000000000000000000000"},
                        {"role": "user", "content": "summarise"},
                    ],
                },
            },
            {**line("bad-body", "x"), "body": {"model": "qwen-long"}},
        ],
    )
    drain_jobs(services)
    done = services.batches.get(caller.account_id, batch.id)
    assert done.status is BatchStatus.COMPLETED
    assert done.request_counts.model_dump() == {"total": 4, "completed": 1, "failed": 3}
    errors = {x["custom_id"]: x for x in file_lines(services, caller, done.error_file_id)}
    assert errors["no-model"]["response"]["status_code"] == 404
    assert errors["no-model"]["response"]["body"]["error"]["code"] == "model_not_found"
    assert errors["no-model"]["error"]["code"] == "model_not_found"
    assert errors["no-file"]["response"]["status_code"] == 404
    assert errors["bad-body"]["response"]["status_code"] == 400
    assert errors["bad-body"]["response"]["body"]["error"]["param"] == "messages"
    assert len(services.ledger.records(batch_id=batch.id)) == 1  # failed lines cost nothing


def test_an_invalid_input_file_fails_the_batch_with_line_numbers(
    services: Services, caller: Principal
) -> None:
    batch = start_batch(
        services, caller, [line("a", "x"), line("a", "y"), {**line("c", "z"), "url": "/v1/x"}]
    )
    drain_jobs(services)
    failed = services.batches.get(caller.account_id, batch.id)
    assert failed.status is BatchStatus.FAILED and failed.failed_at
    assert [(e.code, e.line) for e in failed.errors or []] == [("duplicate_custom_id", 2), ("invalid_url", 3)]
    assert failed.request_counts.total == 0 and failed.output_file_id is None


def test_stopping_ends_the_slice_and_a_successor_carries_on(services: Services, caller: Principal) -> None:
    batch = start_batch(services, caller, [line(f"r{i}", "x") for i in range(3)])
    stopping = threading.Event()
    runner = CountingRunner(services, lambda n: stopping.set() if n == 1 else None)
    assert run_jobs(services, handler_of(services, runner, stopping=stopping), limit=2) == 2
    paused = services.batches.get(caller.account_id, batch.id)
    assert paused.status is BatchStatus.IN_PROGRESS and paused.request_counts.completed == 1
    assert services.queue.counts().get("queued") == 1  # its successor waits for the next process
    stopping.clear()
    run_jobs(services, handler_of(services, runner, stopping=stopping))
    assert services.batches.get(caller.account_id, batch.id).status is BatchStatus.COMPLETED
    assert runner.calls == {1: 1, 2: 1, 3: 1}


def expire_leases(services: Services) -> None:
    with services.db.write() as conn:  # the dead worker's lease runs out
        conn.execute(update(jobs).where(jobs.c.state == "running").values(lease_until=0))


def test_a_line_that_keeps_killing_the_worker_is_failed_and_the_batch_goes_on(
    services: Services, caller: Principal
) -> None:
    batch = start_batch(services, caller, [line(f"r{i}", "x") for i in range(3)])

    def crash_on_line_2(line_no: int) -> None:
        if line_no == 2:
            raise Crash

    runner = CountingRunner(services, crash_on_line_2)
    handler = handler_of(services, runner)
    for _ in range(services.settings.jobs.max_attempts - 1):
        with pytest.raises(Crash):
            run_jobs(services, handler)
        expire_leases(services)
    run_jobs(services, handler)
    done = services.batches.get(caller.account_id, batch.id)
    assert done.status is BatchStatus.COMPLETED
    assert runner.calls == {1: 1, 2: services.settings.jobs.max_attempts - 1, 3: 1}
    [crashed] = file_lines(services, caller, done.error_file_id)
    assert crashed["custom_id"] == "r1" and crashed["response"]["status_code"] == 500
    assert "stopped while answering this request, 2 times" in crashed["error"]["message"]


def test_a_job_that_fails_for_good_fails_its_batch(
    services: Services, caller: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = start_batch(services, caller, [line("a", "x")])
    services.settings.jobs.backoff_seconds = 0.0

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("longdoc.batches.results.ResultFiles.build", broken)
    drain_jobs(services)
    failed = services.batches.get(caller.account_id, batch.id)
    assert failed.status is BatchStatus.FAILED and failed.failed_at
    assert failed.errors and failed.errors[0].code == "server_error"
    assert "OSError: disk full" in failed.errors[0].message
