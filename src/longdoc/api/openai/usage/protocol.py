"""Wire models of the usage report (an extension: the services show usage in their console)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from longdoc.core.usage import UsageTotals, money


class UsageRow(BaseModel):
    model: str | None = None
    day: str | None = Field(default=None, description="UTC date, YYYY-MM-DD (group_by=day)")
    currency: str
    requests: int
    batch_requests: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    free_tokens: int = Field(description="tokens paid by the free quota")
    list_cost: float = Field(description="the tokens at list price")
    cost: float = Field(description="what was billed: free tokens removed, batch discount applied")

    @classmethod
    def of(cls, totals: UsageTotals) -> UsageRow:
        return cls(
            model=totals.group.get("model"),
            day=totals.group.get("day"),
            currency=totals.currency,
            requests=totals.requests,
            batch_requests=totals.batch_requests,
            input_tokens=totals.input_tokens,
            output_tokens=totals.output_tokens,
            cached_tokens=totals.cached_tokens,
            free_tokens=totals.free_tokens,
            list_cost=float(money(totals.list_pico)),
            cost=float(money(totals.cost_pico)),
        )


class UsageReport(BaseModel):
    object: Literal["usage"] = "usage"
    group_by: Literal["model", "day"]
    start: int | None = None
    end: int | None = None
    data: list[UsageRow]
