"""A worker process for the crash test: its handler records its effect inside the job's finishing
transaction, after pausing (``--pause`` seconds) so that the test can kill it mid-job."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from sqlalchemy import text

from longdoc.config import JobSettings
from longdoc.core.jobs import Job
from longdoc.jobs.queue import JobQueue
from longdoc.jobs.worker import Worker
from longdoc.storage.database import Database


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--name", required=True)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--lease", type=float, default=2.0)
    args = parser.parse_args()

    db = Database(args.url)
    queue = JobQueue(db, JobSettings(lease_seconds=args.lease, poll_seconds=0.05, backoff_seconds=0.1))

    def handle(job: Job) -> None:
        print(f"claimed {job.id} attempt {job.attempts}", flush=True)
        time.sleep(args.pause)
        with queue.finishing(job) as conn:
            conn.execute(
                text("INSERT INTO effects (job_id, worker) VALUES (:j, :w)"), {"j": job.id, "w": args.name}
            )

    stop = threading.Event()
    worker = Worker(queue, {"crash-test": handle}, poll_seconds=0.05, lease_seconds=args.lease, stop=stop)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.run_once():
            print("finished", flush=True)
            return 0
        time.sleep(0.05)
    return 1


if __name__ == "__main__":
    sys.exit(main())
