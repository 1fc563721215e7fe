"""The usage ledger: every billed call as a row, priced from the model catalog.

The services bill every referenced document token as input, on every call. A real-time call
first draws on the account's free quota of that model (qwen-long: 1,000,000 tokens for 90 days
from the account's creation); a batch call is billed at ``batches.discount`` of list price and,
as on Model Studio, does not touch the free quota. Prices are exact: pico-units of the currency.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from longdoc.config import BatchSettings
from longdoc.core.usage import PICO, UsageRecord, UsageTotals
from longdoc.inference.catalog import ModelEntry
from longdoc.storage.accounts import AccountRepository
from longdoc.storage.database import Database
from longdoc.storage.usage import UsageRepository

log = logging.getLogger(__name__)

DAY = 86_400


@dataclass(frozen=True)
class Billing:
    """Who pays for a call, and how: a batch line is discounted and billed once per ``usage_key``."""

    account_id: str
    key_id: str | None = None
    batch_id: str | None = None
    usage_key: str | None = None

    @property
    def batch(self) -> bool:
        return self.batch_id is not None


@dataclass(frozen=True)
class Charge:
    free_tokens: int
    list_pico: int
    cost_pico: int


class TokenMeter(Protocol):
    """Where spent tokens count against tokens-per-minute limits (``accounts.limits.RateLimiter``)."""

    def charge_tokens(self, account_id: str, key_id: str | None, tokens: int) -> None: ...


def pico_per_token(price_per_million: float) -> Decimal:
    # str() first: 0.087 must become exactly 87,000 pico, not the binary float's neighbour
    return Decimal(str(price_per_million)) * PICO / 1_000_000


def price(
    model: ModelEntry, input_tokens: int, output_tokens: int, *, free_tokens: int = 0, discount: float = 1.0
) -> Charge:
    """What a call costs: free tokens pay for input first, then output; the rest at list × discount."""
    p_in, p_out = (
        pico_per_token(model.price_input_per_million),
        pico_per_token(model.price_output_per_million),
    )
    free_in = min(free_tokens, input_tokens)
    free_out = min(free_tokens - free_in, output_tokens)
    list_cost = input_tokens * p_in + output_tokens * p_out
    billable = (input_tokens - free_in) * p_in + (output_tokens - free_out) * p_out
    cost = (billable * Decimal(str(discount))).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return Charge(
        free_in + free_out, int(list_cost.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)), int(cost)
    )


class _AlreadyBilled(Exception):
    pass


class UsageLedger:
    def __init__(
        self,
        db: Database,
        settings: BatchSettings,
        meter: TokenMeter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._settings = settings
        self._meter = meter
        self._clock = clock
        self._usage = UsageRepository()
        self._accounts = AccountRepository()

    def record(
        self,
        billing: Billing,
        model: ModelEntry,
        *,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
    ) -> UsageRecord:
        """Price and store one call; a repeated ``usage_key`` returns the first record unchanged."""
        now = self._clock()
        discount = self._settings.discount if billing.batch else 1.0
        try:
            record, record_id = self._write(
                billing, model, now, discount, input_tokens, output_tokens, cached_tokens
            )
        except _AlreadyBilled:  # another worker billed this batch line a moment ago
            with self._db.read() as conn:
                existing = self._usage.by_usage_key(conn, billing.usage_key or "")
            assert existing is not None
            return existing
        if record_id is None:
            return record
        if self._meter is not None and not billing.batch:
            try:
                self._meter.charge_tokens(billing.account_id, billing.key_id, input_tokens + output_tokens)
            except Exception:  # the call is billed; a limiter outage must not lose that
                log.exception("charging %s tokens to the rate limiter failed", input_tokens + output_tokens)
        return record.model_copy(update={"id": record_id})

    def _write(
        self,
        billing: Billing,
        model: ModelEntry,
        now: float,
        discount: float,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int,
    ) -> tuple[UsageRecord, int | None]:
        """The stored record and its new id (None: an earlier record of the same usage key)."""
        with self._db.write() as conn:
            if billing.usage_key is not None:
                existing = self._usage.by_usage_key(conn, billing.usage_key)
                if existing is not None:
                    return existing, None
            free = 0
            if model.free_quota_tokens > 0 and (not billing.batch or self._settings.use_free_quota):
                account = self._accounts.account_by_id(conn, billing.account_id)
                expires_at = (account.created_at if account else now) + model.free_quota_days * DAY
                if now < expires_at:
                    free = self._usage.draw_free(
                        conn,
                        billing.account_id,
                        model.name,
                        granted=model.free_quota_tokens,
                        expires_at=expires_at,
                        wanted=input_tokens + output_tokens,
                    )
            charge = price(model, input_tokens, output_tokens, free_tokens=free, discount=discount)
            record = UsageRecord(
                account_id=billing.account_id,
                key_id=billing.key_id,
                model=model.name,
                batch_id=billing.batch_id,
                usage_key=billing.usage_key,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cached_tokens=cached_tokens,
                free_tokens=charge.free_tokens,
                discount=discount,
                list_pico=charge.list_pico,
                cost_pico=charge.cost_pico,
                currency=model.currency,
                created_at=now,
            )
            record_id = self._usage.insert(conn, record)
            if record_id is None:
                raise _AlreadyBilled  # rolls back, giving back the free tokens drawn above
            return record, record_id

    def totals(
        self,
        *,
        group_by: Sequence[str],
        account_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> list[UsageTotals]:
        with self._db.read() as conn:
            return self._usage.totals(conn, group_by=group_by, account_id=account_id, start=start, end=end)

    def records(self, *, account_id: str | None = None, batch_id: str | None = None) -> list[UsageRecord]:
        with self._db.read() as conn:
            return self._usage.records(conn, account_id=account_id, batch_id=batch_id)

    def free_used(self, account_id: str, model: str) -> int:
        with self._db.read() as conn:
            return self._usage.free_used(conn, account_id, model)
