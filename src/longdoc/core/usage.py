"""The usage ledger's rows and totals.

Money is kept in integer pico-units of the currency (10⁻¹² CNY or USD): a token of qwen-long input
costs 500,000 of them, a batch token of qwen-doc-turbo 43,500, so sums stay exact.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

PICO = 10**12


def money(pico: int) -> Decimal:
    """Pico-units as a Decimal amount of the currency."""
    return Decimal(pico) / PICO


class UsageRecord(BaseModel):
    """One billed call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int | None = None
    account_id: str
    key_id: str | None
    model: str
    batch_id: str | None
    usage_key: str | None  # a batch line is billed once however often it is answered
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    free_tokens: int  # of input + output, paid by the free quota
    discount: float  # 1.0 real time, 0.5 batch
    list_pico: int  # the tokens at list price
    cost_pico: int  # what is billed: free tokens removed, discount applied
    currency: str
    created_at: float

    @property
    def batch(self) -> bool:
        return self.batch_id is not None


class UsageTotals(BaseModel):
    """Sums over a group of records (a model, a day, an account)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group: dict[str, str]
    currency: str
    requests: int
    batch_requests: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    free_tokens: int
    list_pico: int
    cost_pico: int
