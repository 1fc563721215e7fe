"""Running queued jobs to completion inside a test, without worker threads."""

from __future__ import annotations

import threading

from longdoc.jobs.worker import Worker
from longdoc.services import Services


def drain_jobs(services: Services, limit: int = 100) -> int:
    """Run queued jobs until none is left; returns how many ran."""
    worker = Worker(
        services.queue,
        services.job_handlers(),
        poll_seconds=0.01,
        lease_seconds=services.settings.jobs.lease_seconds,
        stop=threading.Event(),
    )
    ran = 0
    while ran < limit and worker.run_once():
        ran += 1
    return ran
