"""The usage ledger on SQLite and PostgreSQL: list prices, the batch discount, the free quota."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest

from longdoc.accounts.keys import KeyService
from longdoc.accounts.ledger import DAY, Billing, UsageLedger, price
from longdoc.config import BatchSettings
from longdoc.core.usage import PICO, money
from longdoc.inference.catalog import builtin_entries
from longdoc.storage.database import Database

ENTRIES = {entry.name: entry for entry in builtin_entries("embedded")}
QWEN_LONG = ENTRIES["qwen-long"]
DOC_TURBO = ENTRIES["qwen-doc-turbo"]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def account_id(db: Database) -> str:
    return KeyService(db).ensure_account("alice").id


def list_price(entry: object, input_tokens: int, output_tokens: int) -> Decimal:
    """PROTOCOL.md §5's per-million prices, applied by hand."""
    return (
        Decimal(str(entry.price_input_per_million)) * input_tokens  # type: ignore[attr-defined]
        + Decimal(str(entry.price_output_per_million)) * output_tokens  # type: ignore[attr-defined]
    ) / 1_000_000


def test_list_price_is_exact() -> None:
    charge = price(QWEN_LONG, 1_000, 200)
    assert money(charge.list_pico) == list_price(QWEN_LONG, 1_000, 200) == Decimal("0.0009")
    assert charge.cost_pico == charge.list_pico and charge.free_tokens == 0
    # 0.087 USD per million is 87,000 pico-dollars a token, not a binary float's neighbour
    assert price(DOC_TURBO, 1, 0).list_pico == 87_000


def test_batch_is_half_price_to_the_pico() -> None:
    charge = price(DOC_TURBO, 12_345, 678, discount=0.5)
    assert money(charge.cost_pico) == list_price(DOC_TURBO, 12_345, 678) / 2
    assert price(DOC_TURBO, 1, 0, discount=0.5).cost_pico == 43_500


def test_free_tokens_pay_for_input_first() -> None:
    charge = price(QWEN_LONG, 100, 50, free_tokens=120)
    assert charge.free_tokens == 120
    assert money(charge.cost_pico) == list_price(QWEN_LONG, 0, 30)


def test_real_time_calls_draw_the_free_quota_then_pay(db: Database, account_id: str) -> None:
    ledger = UsageLedger(db, BatchSettings())
    payer = Billing(account_id, "key-1")
    first = ledger.record(payer, QWEN_LONG, input_tokens=600_000, output_tokens=0)
    assert (first.free_tokens, first.cost_pico, first.currency) == (600_000, 0, "CNY")
    assert money(first.list_pico) == list_price(QWEN_LONG, 600_000, 0)
    second = ledger.record(payer, QWEN_LONG, input_tokens=500_000, output_tokens=1_000)
    assert second.free_tokens == QWEN_LONG.free_quota_tokens - 600_000 == 400_000
    assert money(second.cost_pico) == list_price(QWEN_LONG, 100_000, 1_000)
    third = ledger.record(payer, QWEN_LONG, input_tokens=10, output_tokens=10)
    assert third.free_tokens == 0 and money(third.cost_pico) == list_price(QWEN_LONG, 10, 10)
    assert ledger.free_used(account_id, "qwen-long") == QWEN_LONG.free_quota_tokens


def test_the_free_quota_lapses_after_its_days(db: Database, account_id: str) -> None:
    created = KeyService(db).account(account_id).created_at  # type: ignore[union-attr]
    clock = Clock(created + QWEN_LONG.free_quota_days * DAY - 1)
    ledger = UsageLedger(db, BatchSettings(), clock=clock)
    assert ledger.record(Billing(account_id), QWEN_LONG, input_tokens=100, output_tokens=0).free_tokens == 100
    clock.now = created + QWEN_LONG.free_quota_days * DAY
    late = ledger.record(Billing(account_id), QWEN_LONG, input_tokens=100, output_tokens=0)
    assert late.free_tokens == 0 and late.cost_pico == late.list_pico > 0


def test_models_without_a_free_quota_are_billed_from_the_first_token(db: Database, account_id: str) -> None:
    record = UsageLedger(db, BatchSettings()).record(
        Billing(account_id), DOC_TURBO, input_tokens=5, output_tokens=5
    )
    assert record.free_tokens == 0 and record.currency == "USD"
    assert money(record.cost_pico) == list_price(DOC_TURBO, 5, 5)


def test_batch_lines_are_half_price_and_leave_the_free_quota_alone(db: Database, account_id: str) -> None:
    ledger = UsageLedger(db, BatchSettings())
    line = Billing(account_id, "key-1", batch_id="batch_x", usage_key="batch_x#1")
    record = ledger.record(line, QWEN_LONG, input_tokens=3_000, output_tokens=400)
    assert record.discount == 0.5 and record.free_tokens == 0
    assert money(record.cost_pico) == list_price(QWEN_LONG, 3_000, 400) / 2
    assert ledger.free_used(account_id, "qwen-long") == 0
    generous = UsageLedger(db, BatchSettings(use_free_quota=True))
    drawn = generous.record(replace(line, usage_key="batch_x#2"), QWEN_LONG, input_tokens=10, output_tokens=0)
    assert drawn.free_tokens == 10 and drawn.cost_pico == 0


def test_a_batch_line_is_billed_once_however_often_it_is_answered(db: Database, account_id: str) -> None:
    ledger = UsageLedger(db, BatchSettings())
    line = Billing(account_id, None, batch_id="batch_y", usage_key="batch_y#7")
    first = ledger.record(line, QWEN_LONG, input_tokens=100, output_tokens=10)
    again = ledger.record(line, QWEN_LONG, input_tokens=100, output_tokens=12)
    assert again.id == first.id and again.output_tokens == 10
    assert len(ledger.records(batch_id="batch_y")) == 1


def test_concurrent_calls_never_spend_the_same_free_tokens(db: Database, account_id: str) -> None:
    ledger = UsageLedger(db, BatchSettings())
    errors: list[BaseException] = []

    def call() -> None:
        try:
            for _ in range(3):
                ledger.record(Billing(account_id), QWEN_LONG, input_tokens=90_000, output_tokens=10_000)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    records = ledger.records(account_id=account_id)
    assert len(records) == 18
    assert sum(r.free_tokens for r in records) == QWEN_LONG.free_quota_tokens
    # ten calls of 100,000 tokens use the quota up; the other eight pay in full
    assert sorted(r.free_tokens for r in records) == [0] * 8 + [100_000] * 10
    assert sum(r.cost_pico for r in records) == 8 * price(QWEN_LONG, 90_000, 10_000).cost_pico


def test_totals_by_model_and_by_day(db: Database, account_id: str) -> None:
    clock = Clock(1_767_225_600.0)  # 2026-01-01 00:00 UTC
    ledger = UsageLedger(db, BatchSettings(), clock=clock)
    ledger.record(Billing(account_id), DOC_TURBO, input_tokens=1_000, output_tokens=100)
    clock.now += DAY
    ledger.record(Billing(account_id), DOC_TURBO, input_tokens=2_000, output_tokens=200)
    ledger.record(
        Billing(account_id, batch_id="b", usage_key="b#1"), DOC_TURBO, input_tokens=1, output_tokens=1
    )
    by_model = ledger.totals(group_by=["model"], account_id=account_id)
    assert [(t.group, t.requests, t.batch_requests, t.input_tokens) for t in by_model] == [
        ({"model": "qwen-doc-turbo"}, 3, 1, 3_001)
    ]
    by_day = ledger.totals(group_by=["day"], account_id=account_id)
    assert [(t.group["day"], t.requests) for t in by_day] == [("2026-01-01", 1), ("2026-01-02", 2)]
    assert sum(t.cost_pico for t in by_day) == by_model[0].cost_pico
    later = ledger.totals(group_by=["model"], account_id=account_id, start=clock.now)
    assert later[0].requests == 2
    assert ledger.totals(group_by=["model"], account_id="acct-nobody") == []
    assert by_model[0].list_pico == sum(
        price(DOC_TURBO, i, o).list_pico for i, o in ((1_000, 100), (2_000, 200), (1, 1))
    )
    assert PICO == 10**12
