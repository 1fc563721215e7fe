"""Batches and their request lines in the metadata store.

Every line of a batch is a row: its request while pending, its output (or error) file line once
answered. A line is finished with a conditional update (``state = 'pending'``), so however often
a worker is restarted or a job re-claimed, each line is answered into the files exactly once.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    insert,
    or_,
    select,
    update,
)

from longdoc.core.batches import Batch, BatchLineError, BatchStatus, LineState, RequestCounts
from longdoc.storage.tables import metadata

batches = Table(
    "batches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("key_id", String(64)),
    Column("endpoint", String(200), nullable=False),
    Column("input_file_id", String(64), nullable=False),
    Column("completion_window", String(16), nullable=False),
    Column("window_seconds", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("errors", JSON),
    Column("output_file_id", String(64)),
    Column("error_file_id", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Column("in_progress_at", BigInteger),
    Column("expires_at", BigInteger),
    Column("finalizing_at", BigInteger),
    Column("completed_at", BigInteger),
    Column("failed_at", BigInteger),
    Column("expired_at", BigInteger),
    Column("cancelling_at", BigInteger),
    Column("cancelled_at", BigInteger),
    Column("total", Integer, nullable=False),
    Column("completed", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("user_metadata", JSON),
    Column("seq", BigInteger, nullable=False),
    Index("ix_batches_account_seq", "account_id", "seq"),
)

batch_lines = Table(
    "batch_lines",
    metadata,
    Column("batch_id", String(64), ForeignKey("batches.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),  # 1-based line of the input file
    Column("custom_id", String(512), nullable=False),
    Column("request", Text, nullable=False),  # the line's body, as JSON
    Column("state", String(16), nullable=False),
    Column("result", Text),  # the output or error file line, as JSON
    Column("finished_at", Float),
    Index("ix_batch_lines_state", "batch_id", "state", "line_no"),
)

_COUNTS = ("total", "completed", "failed")
_PAGE = 500


@dataclass(frozen=True)
class PendingLine:
    line_no: int
    custom_id: str
    request: str


def _batch(row: Any) -> Batch:
    fields = row._asdict()
    fields.pop("seq")
    errors = fields.pop("errors")
    return Batch.model_validate(
        fields
        | {
            "errors": [BatchLineError.model_validate(e) for e in errors] if errors is not None else None,
            "metadata": fields.pop("user_metadata"),
            "request_counts": RequestCounts(**{k: fields.pop(k) for k in _COUNTS}),
        }
    )


class BatchRepository:
    def insert(self, conn: Connection, batch: Batch) -> None:
        values = batch.model_dump(exclude={"request_counts", "metadata", "errors"})
        values |= {k: getattr(batch.request_counts, k) for k in _COUNTS}
        conn.execute(
            insert(batches).values(**values, errors=None, user_metadata=batch.metadata, seq=time.time_ns())
        )

    def get(self, conn: Connection, account_id: str, batch_id: str) -> Batch | None:
        row = conn.execute(
            select(batches).where(batches.c.id == batch_id, batches.c.account_id == account_id)
        ).first()
        return _batch(row) if row else None

    def get_any(self, conn: Connection, batch_id: str) -> Batch | None:
        """For background work that holds a batch id from a trusted job payload."""
        row = conn.execute(select(batches).where(batches.c.id == batch_id)).first()
        return _batch(row) if row else None

    def list(
        self, conn: Connection, account_id: str, *, limit: int, after: str | None = None
    ) -> tuple[builtins.list[Batch], bool]:
        """Newest first; ``after`` is the id of the last batch of the previous page."""
        query = select(batches).where(batches.c.account_id == account_id)
        if after:
            anchor = conn.execute(
                select(batches.c.seq, batches.c.id).where(
                    batches.c.id == after, batches.c.account_id == account_id
                )
            ).first()
            if anchor is not None:
                query = query.where(
                    or_(
                        batches.c.seq < anchor.seq,
                        and_(batches.c.seq == anchor.seq, batches.c.id < anchor.id),
                    )
                )
        rows = conn.execute(query.order_by(batches.c.seq.desc(), batches.c.id.desc()).limit(limit + 1)).all()
        return [_batch(r) for r in rows[:limit]], len(rows) > limit

    def transition(
        self, conn: Connection, batch_id: str, allowed: Iterable[BatchStatus], **values: Any
    ) -> bool:
        """Update the batch if its status is one of ``allowed``; whether it was."""
        if "errors" in values and values["errors"] is not None:
            values["errors"] = [e.model_dump() for e in values["errors"]]
        if isinstance(values.get("status"), BatchStatus):
            values["status"] = values["status"].value
        result = conn.execute(
            update(batches)
            .where(batches.c.id == batch_id, batches.c.status.in_([s.value for s in allowed]))
            .values(**values)
        )
        return result.rowcount == 1

    # -- lines
    def add_lines(self, conn: Connection, batch_id: str, lines: Iterable[tuple[int, str, str]]) -> int:
        rows = [
            {"batch_id": batch_id, "line_no": n, "custom_id": cid, "request": body, "state": "pending"}
            for n, cid, body in lines
        ]
        for start in range(0, len(rows), _PAGE):
            conn.execute(insert(batch_lines), rows[start : start + _PAGE])
        return len(rows)

    def next_pending(self, conn: Connection, batch_id: str) -> PendingLine | None:
        row = conn.execute(
            select(batch_lines.c.line_no, batch_lines.c.custom_id, batch_lines.c.request)
            .where(batch_lines.c.batch_id == batch_id, batch_lines.c.state == LineState.PENDING.value)
            .order_by(batch_lines.c.line_no)
            .limit(1)
        ).first()
        return PendingLine(row.line_no, row.custom_id, row.request) if row else None

    def pending(self, conn: Connection, batch_id: str) -> builtins.list[PendingLine]:
        rows = conn.execute(
            select(batch_lines.c.line_no, batch_lines.c.custom_id, batch_lines.c.request)
            .where(batch_lines.c.batch_id == batch_id, batch_lines.c.state == LineState.PENDING.value)
            .order_by(batch_lines.c.line_no)
        ).all()
        return [PendingLine(r.line_no, r.custom_id, r.request) for r in rows]

    def finish_line(
        self, conn: Connection, batch_id: str, line_no: int, state: LineState, result: str
    ) -> bool:
        """Record a pending line's answer and count it; False (nothing written) if it was answered already."""
        done = conn.execute(
            update(batch_lines)
            .where(
                batch_lines.c.batch_id == batch_id,
                batch_lines.c.line_no == line_no,
                batch_lines.c.state == LineState.PENDING.value,
            )
            .values(state=state.value, result=result, finished_at=time.time())
        )
        if done.rowcount != 1:
            return False
        counter = batches.c.completed if state is LineState.SUCCEEDED else batches.c.failed
        conn.execute(update(batches).where(batches.c.id == batch_id).values({counter: counter + 1}))
        return True

    def results(self, conn: Connection, batch_id: str, state: LineState) -> Iterator[str]:
        """The answered lines of one kind, in input order, read a page at a time."""
        last = 0
        while True:
            rows = conn.execute(
                select(batch_lines.c.line_no, batch_lines.c.result)
                .where(
                    batch_lines.c.batch_id == batch_id,
                    batch_lines.c.state == state.value,
                    batch_lines.c.line_no > last,
                )
                .order_by(batch_lines.c.line_no)
                .limit(_PAGE)
            ).all()
            if not rows:
                return
            for row in rows:
                yield row.result
            last = rows[-1].line_no
