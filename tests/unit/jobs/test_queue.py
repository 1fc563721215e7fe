"""The durable job queue on SQLite and PostgreSQL: claiming, leases, retries, crash recovery."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from longdoc.config import JobSettings
from longdoc.core.jobs import JobState
from longdoc.jobs.queue import JobQueue, LeaseLost
from longdoc.storage.database import Database

SLOW_WORKER = Path(__file__).with_name("slow_worker.py")


def queue_of(db: Database, **settings: float) -> JobQueue:
    return JobQueue(db, JobSettings(**{"lease_seconds": 1.0, "backoff_seconds": 0.05, **settings}))


def enqueue(db: Database, queue: JobQueue, kind: str = "k", **payload: object) -> int:
    with db.write() as conn:
        return queue.enqueue(conn, kind, dict(payload))


def test_a_job_is_claimed_once_and_finished(db: Database) -> None:
    queue = queue_of(db)
    job_id = enqueue(db, queue, n=1)
    job = queue.claim()
    assert job is not None and job.id == job_id and job.payload == {"n": 1} and job.attempts == 1
    assert queue.claim() is None  # leased to us
    queue.finish(job)
    assert queue.get(job_id).state is JobState.DONE  # type: ignore[union-attr]
    assert queue.counts() == {"done": 1}


def test_claim_filters_by_kind(db: Database) -> None:
    queue = queue_of(db)
    enqueue(db, queue, "other")
    assert queue.claim(["parse"]) is None
    assert queue.claim(["other"]) is not None


def test_failures_retry_with_backoff_then_give_up(db: Database) -> None:
    queue = queue_of(db, max_attempts=2, backoff_seconds=0.3)
    job_id = enqueue(db, queue)
    first = queue.claim()
    assert first is not None
    queue.fail(first, "boom")
    assert queue.claim() is None  # not due yet
    time.sleep(0.35)
    second = queue.claim()
    assert second is not None and second.attempts == 2
    queue.fail(second, "boom again")
    final = queue.get(job_id)
    assert final is not None and final.state is JobState.FAILED and final.error == "boom again"


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish(db: Database) -> None:
    queue = queue_of(db, lease_seconds=0.2)
    enqueue(db, queue)
    stale = queue.claim()
    assert stale is not None
    time.sleep(0.3)
    fresh = queue.claim()
    assert fresh is not None and fresh.attempts == 2
    with pytest.raises(LeaseLost), queue.finishing(stale):
        pass
    queue.finish(fresh)
    assert queue.get(fresh.id).state is JobState.DONE  # type: ignore[union-attr]


def test_renewing_keeps_the_lease(db: Database) -> None:
    queue = queue_of(db, lease_seconds=0.3)
    enqueue(db, queue)
    job = queue.claim()
    assert job is not None
    for _ in range(3):
        time.sleep(0.15)
        assert queue.renew(job)
    assert queue.claim() is None


def test_a_killed_worker_s_job_completes_exactly_once(db: Database, database_url: str) -> None:
    with db.write() as conn:
        conn.execute(text("CREATE TABLE effects (job_id INTEGER, worker VARCHAR(20))"))
    queue = queue_of(db)
    job_id = enqueue(db, queue, "crash-test")

    doomed = subprocess.Popen(
        [sys.executable, str(SLOW_WORKER), database_url, "--name", "doomed", "--pause", "30"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert doomed.stdout is not None
    assert doomed.stdout.readline().startswith(f"claimed {job_id} attempt 1")
    doomed.kill()  # SIGKILL mid-job: no cleanup, the lease just stops being renewed
    doomed.wait()

    survivor = subprocess.run(
        [sys.executable, str(SLOW_WORKER), database_url, "--name", "survivor"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert survivor.returncode == 0, survivor.stderr
    assert f"claimed {job_id} attempt 2" in survivor.stdout

    with db.read() as conn:
        effects = conn.execute(text("SELECT worker FROM effects WHERE job_id = :j"), {"j": job_id}).all()
    assert [row.worker for row in effects] == ["survivor"]
    job = queue.get(job_id)
    assert job is not None and job.state is JobState.DONE and job.attempts == 2
