"""The usage report: the caller's account's ledger, summed by model or by day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from longdoc.accounts.ledger import UsageLedger
from longdoc.api.openai.usage.protocol import UsageReport, UsageRow
from longdoc.core.accounts import Principal
from longdoc.core.errors import InvalidRequest


def instant(value: str | None, param: str) -> int | None:
    """Unix seconds, or an ISO date / date-time (UTC unless it says otherwise)."""
    if value is None or value == "":
        return None
    if value.isdigit():
        return int(value)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            f"{param} must be unix seconds or an ISO date (2025-01-31), not {value!r}", param=param
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


class UsageServing:
    def __init__(self, ledger: UsageLedger) -> None:
        self._ledger = ledger

    def report(
        self, principal: Principal, *, start: str | None, end: str | None, group_by: str
    ) -> UsageReport:
        since, until = instant(start, "start"), instant(end, "end")
        totals = self._ledger.totals(
            group_by=[group_by], account_id=principal.account_id, start=since, end=until
        )
        return UsageReport(
            group_by=group_by,  # type: ignore[arg-type]
            start=since,
            end=until,
            data=[UsageRow.of(t) for t in totals],
        )
