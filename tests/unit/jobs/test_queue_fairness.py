"""Claiming is fair across accounts, on SQLite and PostgreSQL: one account's queue of files does
not hold every worker while another account's upload waits; a stopping worker gives its job back."""

from __future__ import annotations

from longdoc.config import JobSettings
from longdoc.core.accounts import Account
from longdoc.core.files import FilePurpose, FileRecord, FileStatus
from longdoc.core.jobs import JobState
from longdoc.jobs.queue import JobQueue
from longdoc.storage.accounts import AccountRepository
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository


def upload(db: Database, queue: JobQueue, account: str, name: str) -> int:
    """A file of ``account`` (created on first use) and its parse job."""
    with db.write() as conn:
        if AccountRepository().account_by_id(conn, account) is None:
            AccountRepository().insert_account(conn, Account(id=account, name=account, created_at=0))
        FileRepository().insert(
            conn,
            FileRecord(
                id=name,
                account_id=account,
                purpose=FilePurpose.FILE_EXTRACT,
                filename=f"{name}.txt",
                bytes=1,
                sha256="0" * 64,
                status=FileStatus.UPLOADED,
                created_at=0,
            ),
        )
        return queue.enqueue(conn, "parse", {"file_id": name})


def claimed_file(queue: JobQueue) -> str:
    job = queue.claim(["parse"])
    assert job is not None
    return str(job.payload["file_id"])


def test_an_account_with_nothing_running_goes_first(db: Database) -> None:
    queue = JobQueue(db, JobSettings(lease_seconds=60))
    for n in range(4):
        upload(db, queue, "heavy", f"heavy-{n}")
    upload(db, queue, "light", "light-0")
    # two workers: the first takes the oldest job, the second the other account's, though newer
    assert [claimed_file(queue), claimed_file(queue)] == ["heavy-0", "light-0"]
    # with both accounts running one job each, the oldest comes next
    assert claimed_file(queue) == "heavy-1"


def test_the_account_with_fewer_running_jobs_goes_first(db: Database) -> None:
    queue = JobQueue(db, JobSettings(lease_seconds=60))
    for n in range(3):
        upload(db, queue, "heavy", f"heavy-{n}")
    assert [claimed_file(queue), claimed_file(queue)] == ["heavy-0", "heavy-1"]  # nobody else waits
    upload(db, queue, "light", "light-0")
    upload(db, queue, "light", "light-1")
    assert claimed_file(queue) == "light-0"
    assert claimed_file(queue) == "light-1"  # light runs 1 job, heavy 2
    assert claimed_file(queue) == "heavy-2"


def test_an_expired_lease_does_not_count_as_running(db: Database) -> None:
    queue = JobQueue(db, JobSettings(lease_seconds=-1))  # every lease has already run out
    upload(db, queue, "heavy", "heavy-0")
    upload(db, queue, "heavy", "heavy-1")
    upload(db, queue, "light", "light-0")
    assert claimed_file(queue) == "heavy-0"
    assert claimed_file(queue) == "heavy-0"  # its worker died: re-claimed first, being the oldest


def test_jobs_about_no_file_keep_their_turn(db: Database) -> None:
    queue = JobQueue(db, JobSettings(lease_seconds=60))
    upload(db, queue, "heavy", "heavy-0")
    upload(db, queue, "heavy", "heavy-1")
    with db.write() as conn:
        batch = queue.enqueue(conn, "batch", {"batch_id": "b1"})
    assert claimed_file(queue) == "heavy-0"
    job = queue.claim()
    assert job is not None and job.id == batch


def test_a_released_job_is_runnable_again_and_its_attempt_not_counted(db: Database) -> None:
    queue = JobQueue(db, JobSettings(lease_seconds=60))
    job_id = upload(db, queue, "heavy", "heavy-0")
    job = queue.claim()
    assert job is not None and job.attempts == 1
    queue.release(job)
    stored = queue.get(job_id)
    assert stored is not None and stored.state is JobState.QUEUED and stored.attempts == 0
    again = queue.claim()
    assert again is not None and again.id == job_id and again.attempts == 1
