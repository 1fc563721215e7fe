"""Idle workers wake the moment a job is queued in any process (PostgreSQL LISTEN/NOTIFY; polling on
SQLite), and finished jobs are deleted once their retention has passed."""

from __future__ import annotations

import threading
import time

from sqlalchemy import update

from longdoc.config import JobSettings
from longdoc.core.jobs import Job, JobState
from longdoc.jobs.queue import JobQueue
from longdoc.jobs.wakeup import JobWakeup, libpq_url
from longdoc.jobs.worker import WorkerPool
from longdoc.storage.database import Database
from longdoc.storage.tables import jobs


def enqueue(db: Database, queue: JobQueue) -> int:
    with db.write() as conn:
        return queue.enqueue(conn, "k", {})


def test_libpq_urls() -> None:
    assert libpq_url("postgresql+psycopg://u@h:5432/db?options=-x") == "postgresql://u@h:5432/db?options=-x"
    assert libpq_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert libpq_url("sqlite:////tmp/x.db") is None


def test_an_idle_worker_runs_a_new_job_at_once_on_postgresql_and_within_a_poll_on_sqlite(
    db: Database,
) -> None:
    poll = 30.0 if db.url.startswith("postgresql") else 0.2
    queue = JobQueue(db, JobSettings(poll_seconds=poll))
    ran = threading.Event()

    def handler(job: Job) -> None:
        ran.set()

    wakeup = JobWakeup(db.url)
    pool = WorkerPool(queue, {"k": handler}, count=1, poll_seconds=poll, lease_seconds=30, wakeup=wakeup)
    pool.start()
    try:
        time.sleep(1.0)  # the worker found nothing and sleeps (PostgreSQL: for 30 s, unless woken)
        started = time.monotonic()
        enqueue(db, queue)
        assert ran.wait(5)
        assert time.monotonic() - started < 2.0
        assert wakeup.listens == db.url.startswith("postgresql")
    finally:
        pool.stop()


def test_finished_jobs_older_than_the_retention_are_deleted(db: Database) -> None:
    queue = JobQueue(db, JobSettings())
    old_done, recent_done, old_failed, waiting = (enqueue(db, queue) for _ in range(4))
    now = time.time()
    with db.write() as conn:
        for job_id, state, ended in (
            (old_done, JobState.DONE, now - 8 * 86_400),
            (recent_done, JobState.DONE, now - 60),
            (old_failed, JobState.FAILED, now - 8 * 86_400),
        ):
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(state=state.value, finished_at=ended))
    assert queue.prune(7 * 86_400) == 2
    assert queue.get(old_done) is None and queue.get(old_failed) is None
    assert queue.get(recent_done) is not None and queue.get(waiting) is not None
