"""A durable job queue in the metadata store.

A worker claims a job with a lease (a token and an expiry). While it works it renews the lease;
if it dies, the lease runs out and another worker re-claims the job. Finishing is conditional on
still holding the lease, and a handler's results commit in the same transaction as the finish,
so a job's effects land exactly once however often it is attempted.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, text, update

from longdoc.config import JobSettings
from longdoc.core.jobs import Job, JobState
from longdoc.jobs.wakeup import CHANNEL as WAKEUP_CHANNEL
from longdoc.storage.database import Database
from longdoc.storage.tables import files, jobs


def _file_id(table: Any) -> Any:
    """The file a job is about (its payload's ``file_id``), as SQL."""
    return table.c.payload["file_id"].as_string()


def _running_for_account(account_id: Any, now: float) -> Any:
    """How many jobs about files of ``account_id`` are running under a live lease, as SQL."""
    busy, owned = jobs.alias("busy"), files.alias("owned")
    return (
        select(func.count())
        .select_from(busy.join(owned, owned.c.id == _file_id(busy)))
        .where(
            busy.c.state == JobState.RUNNING.value,
            busy.c.lease_until >= now,
            owned.c.account_id == account_id,
        )
        .scalar_subquery()
    )


class LeaseLost(Exception):
    """Another worker took the job over (our lease expired); our results must not commit."""


class JobQueue:
    def __init__(self, db: Database, settings: JobSettings) -> None:
        self._db = db
        self._settings = settings

    def enqueue(self, conn: Connection, kind: str, payload: dict[str, Any], *, delay: float = 0.0) -> int:
        """Queue a job inside the caller's transaction, so it commits with the work that asked for it."""
        now = time.time()
        result = conn.execute(
            insert(jobs).values(
                kind=kind,
                payload=payload,
                state=JobState.QUEUED.value,
                attempts=0,
                max_attempts=self._settings.max_attempts,
                run_after=now + delay,
                created_at=now,
            )
        )
        if conn.dialect.name == "postgresql":  # wakes idle workers everywhere once this commits
            conn.execute(text(f"NOTIFY {WAKEUP_CHANNEL}"))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def claim(self, kinds: list[str] | None = None) -> Job | None:
        """Take a runnable job (queued and due, or running with an expired lease): the oldest of
        those whose account has the fewest jobs running now.

        Fair across accounts: one account's queue of heavy files cannot hold every worker while
        another account's upload waits; a job's account is its file's (jobs about no file, such as
        batches, count as an account with nothing running).
        """
        now = time.time()
        runnable = or_(
            and_(jobs.c.state == JobState.QUEUED.value, jobs.c.run_after <= now),
            and_(jobs.c.state == JobState.RUNNING.value, jobs.c.lease_until < now),
        )
        query = (
            select(jobs)
            .outerjoin(files, files.c.id == _file_id(jobs))
            .where(runnable)
            .order_by(_running_for_account(files.c.account_id, now), jobs.c.id)
            .limit(1)
        )
        if kinds:
            query = query.where(jobs.c.kind.in_(kinds))
        with self._db.write() as conn:
            # "OF jobs": only the job row is locked (PostgreSQL cannot lock an outer join's file side)
            row = conn.execute(query.with_for_update(skip_locked=True, of=jobs)).first()
            if row is None:
                return None
            if row.attempts >= row.max_attempts:
                # It was claimed max_attempts times and never finished: its workers keep dying.
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == row.id)
                    .values(
                        state=JobState.FAILED.value,
                        error=row.error or "the worker stopped before finishing, too many times",
                        finished_at=now,
                        lease_token=None,
                    )
                )
                return None
            token = secrets.token_hex(16)
            conn.execute(
                update(jobs)
                .where(jobs.c.id == row.id)
                .values(
                    state=JobState.RUNNING.value,
                    attempts=row.attempts + 1,
                    lease_token=token,
                    lease_until=now + self._settings.lease_seconds,
                )
            )
        return Job(
            id=row.id,
            kind=row.kind,
            payload=row.payload,
            state=JobState.RUNNING,
            attempts=row.attempts + 1,
            max_attempts=row.max_attempts,
            lease_token=token,
            error=row.error,
        )

    def renew(self, job: Job) -> bool:
        with self._db.write() as conn:
            return self._held(conn, job, lease_until=time.time() + self._settings.lease_seconds)

    @contextmanager
    def finishing(self, job: Job) -> Iterator[Connection]:
        """A transaction that marks ``job`` done; the caller writes its results in it too.

        Raises LeaseLost (rolling everything back) when another worker holds the job now.
        """
        with self._db.write() as conn:
            yield conn
            if not self._held(
                conn, job, state=JobState.DONE.value, finished_at=time.time(), lease_token=None
            ):
                raise LeaseLost(f"job {job.id} was taken over by another worker")

    def finish(self, job: Job) -> None:
        with self.finishing(job):
            pass

    def release(self, job: Job) -> None:
        """Give a claimed job back untried (its process is stopping): runnable again at once, and
        this claim not counted against its attempts."""
        with self._db.write() as conn:
            self._held(
                conn,
                job,
                state=JobState.QUEUED.value,
                attempts=job.attempts - 1,
                run_after=time.time(),
                lease_token=None,
                lease_until=None,
            )

    def fail(self, job: Job, error: str, *, retry: bool = True) -> None:
        """Record a failed attempt: retry later with backoff, or give up."""
        attempts_left = retry and job.attempts < job.max_attempts
        values: dict[str, Any] = {"error": error[:4000], "lease_token": None}
        if attempts_left:
            values |= {
                "state": JobState.QUEUED.value,
                "run_after": time.time() + self._settings.backoff_seconds * 2 ** (job.attempts - 1),
            }
        else:
            values |= {"state": JobState.FAILED.value, "finished_at": time.time()}
        with self._db.write() as conn:
            self._held(conn, job, **values)

    def get(self, job_id: int) -> Job | None:
        with self._db.read() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            return None
        return Job(
            id=row.id,
            kind=row.kind,
            payload=row.payload,
            state=JobState(row.state),
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            lease_token=row.lease_token,
            error=row.error,
        )

    def prune(self, older_than_seconds: float) -> int:
        """Delete finished jobs (done or failed) that ended more than ``older_than_seconds`` ago."""
        ended = or_(jobs.c.state == JobState.DONE.value, jobs.c.state == JobState.FAILED.value)
        cutoff = time.time() - older_than_seconds
        with self._db.write() as conn:
            result = conn.execute(delete(jobs).where(ended, jobs.c.finished_at < cutoff))
        return int(result.rowcount)

    def counts(self) -> dict[str, int]:
        """Jobs by state, for /metrics."""
        with self._db.read() as conn:
            rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all()
        return {state: int(n) for state, n in rows}

    def _held(self, conn: Connection, job: Job, **values: Any) -> bool:
        result = conn.execute(
            update(jobs).where(jobs.c.id == job.id, jobs.c.lease_token == job.lease_token).values(**values)
        )
        return result.rowcount == 1
