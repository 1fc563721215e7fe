"""The usage ledger's rows, and the free quota each account has drawn on, in the metadata store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    String,
    Table,
    func,
    select,
    update,
)

from longdoc.core.usage import UsageRecord, UsageTotals
from longdoc.storage.tables import metadata
from longdoc.storage.upsert import insert_for

usage_records = Table(
    "usage_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(64), nullable=False),
    Column("key_id", String(64)),
    Column("model", String(200), nullable=False),
    Column("batch_id", String(64)),
    Column("usage_key", String(200), unique=True),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("cached_tokens", BigInteger, nullable=False),
    Column("free_tokens", BigInteger, nullable=False),
    Column("discount", Float, nullable=False),
    Column("list_pico", BigInteger, nullable=False),
    Column("cost_pico", BigInteger, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("day", String(10), nullable=False),  # UTC date, so both stores group by day alike
    Index("ix_usage_account_created", "account_id", "created_at"),
)

free_quotas = Table(
    "free_quotas",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("granted", BigInteger, nullable=False),
    Column("used", BigInteger, nullable=False),
    Column("expires_at", Float, nullable=False),
)

GROUPS = {"account": usage_records.c.account_id, "model": usage_records.c.model, "day": usage_records.c.day}


def utc_day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


class UsageRepository:
    def insert(self, conn: Connection, record: UsageRecord) -> int | None:
        """The new row's id; None when a row with the same ``usage_key`` exists already."""
        values = record.model_dump(exclude={"id"}) | {"day": utc_day(record.created_at)}
        statement = insert_for(conn, usage_records).values(**values)
        if record.usage_key is not None:
            statement = statement.on_conflict_do_nothing(index_elements=["usage_key"])
        result = conn.execute(statement.returning(usage_records.c.id)).first()
        return int(result[0]) if result else None

    def by_usage_key(self, conn: Connection, usage_key: str) -> UsageRecord | None:
        row = conn.execute(select(usage_records).where(usage_records.c.usage_key == usage_key)).first()
        return _record(row) if row else None

    def records(
        self, conn: Connection, *, account_id: str | None = None, batch_id: str | None = None
    ) -> list[UsageRecord]:
        query = select(usage_records).order_by(usage_records.c.id)
        if account_id is not None:
            query = query.where(usage_records.c.account_id == account_id)
        if batch_id is not None:
            query = query.where(usage_records.c.batch_id == batch_id)
        return [_record(row) for row in conn.execute(query)]

    def totals(
        self,
        conn: Connection,
        *,
        group_by: Sequence[str],
        account_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> list[UsageTotals]:
        """Sums per group (``account``, ``model``, ``day``) and currency, for ``start <= created_at < end``."""
        keys = [GROUPS[name] for name in group_by]
        c = usage_records.c
        query = select(
            *keys,
            c.currency,
            func.count(),
            func.count(c.batch_id),
            *(func.coalesce(func.sum(col), 0) for col in (c.input_tokens, c.output_tokens, c.cached_tokens)),
            *(func.coalesce(func.sum(col), 0) for col in (c.free_tokens, c.list_pico, c.cost_pico)),
        ).group_by(*keys, c.currency)
        if account_id is not None:
            query = query.where(c.account_id == account_id)
        if start is not None:
            query = query.where(c.created_at >= start)
        if end is not None:
            query = query.where(c.created_at < end)
        query = query.order_by(*keys, c.currency)
        totals = []
        for row in conn.execute(query):
            n = len(keys)
            numbers = [int(v) for v in row[n + 1 :]]
            totals.append(
                UsageTotals(
                    group={name: str(row[i]) for i, name in enumerate(group_by)},
                    currency=row[n],
                    requests=numbers[0],
                    batch_requests=numbers[1],
                    input_tokens=numbers[2],
                    output_tokens=numbers[3],
                    cached_tokens=numbers[4],
                    free_tokens=numbers[5],
                    list_pico=numbers[6],
                    cost_pico=numbers[7],
                )
            )
        return totals

    def draw_free(
        self, conn: Connection, account_id: str, model: str, *, granted: int, expires_at: float, wanted: int
    ) -> int:
        """Take up to ``wanted`` tokens from the account's free quota of ``model``; how many were taken.

        The quota row is locked for the rest of the transaction (SQLite: the write transaction
        already excludes other writers), so concurrent calls never spend the same tokens twice.
        """
        conn.execute(
            insert_for(conn, free_quotas)
            .values(account_id=account_id, model=model, granted=granted, used=0, expires_at=expires_at)
            .on_conflict_do_nothing(index_elements=["account_id", "model"])
        )
        where = (free_quotas.c.account_id == account_id, free_quotas.c.model == model)
        row = conn.execute(select(free_quotas).where(*where).with_for_update()).one()
        take = max(0, min(wanted, row.granted - row.used))
        if take:
            conn.execute(update(free_quotas).where(*where).values(used=row.used + take))
        return int(take)

    def free_used(self, conn: Connection, account_id: str, model: str) -> int:
        used = conn.execute(
            select(free_quotas.c.used).where(
                free_quotas.c.account_id == account_id, free_quotas.c.model == model
            )
        ).scalar()
        return int(used or 0)


def _record(row: Any) -> UsageRecord:
    return UsageRecord.model_validate({k: v for k, v in row._asdict().items() if k != "day"})
