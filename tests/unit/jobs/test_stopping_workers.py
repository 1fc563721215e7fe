"""Stopping the services while a parse runs (a server's SIGTERM) ends the parse child at once and
gives the job back, untried: the file is parsed after the restart, not failed."""

from __future__ import annotations

import os
import time
from pathlib import Path

from longdoc.core.files import FilePurpose, FileStatus
from longdoc.core.jobs import JobState
from longdoc.jobs.queue import JobQueue
from longdoc.services import Services
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository
from support.processes import PREPARE_CHILD, running, wait_for_child

SCANNED = Path(__file__).parents[2] / "data" / "documents" / "R-intro.p12-14.scanned.pdf"  # OCR: slow


def test_stopping_kills_the_running_parse_and_releases_its_job(services: Services, database_url: str) -> None:
    caller = services.keys.authenticate(services.keys.create_key("alice"))
    staged = services.blobs.stage([SCANNED.read_bytes()])  # type: ignore[attr-defined]
    record = services.library.add(
        caller.account_id, staged, filename="scan.pdf", purpose=FilePurpose.FILE_EXTRACT
    )
    services.start_workers(1)
    child = wait_for_child(os.getpid(), PREPARE_CHILD)

    started = time.monotonic()
    services.close()
    assert time.monotonic() - started < 5
    assert not running(child)

    db = Database(database_url)
    try:
        with db.read() as conn:
            stored = FileRepository().get_any(conn, record.id)
        job = JobQueue(db, services.settings.jobs).get(1)
    finally:
        db.dispose()
    assert stored is not None and stored.status is FileStatus.UPLOADED
    assert job is not None and job.state is JobState.QUEUED and job.attempts == 0
