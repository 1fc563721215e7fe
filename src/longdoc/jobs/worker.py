"""Workers: threads that claim jobs, run their handlers and keep their leases alive."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from longdoc.core.jobs import Job
from longdoc.jobs.queue import JobQueue, LeaseLost
from longdoc.jobs.wakeup import JobWakeup

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (the handler has already recorded it where users see it)."""


# A handler does the work of one job. It may commit its results atomically with the job's end by
# writing them inside ``queue.finishing(job)``; if it returns without doing so, the worker finishes it.
JobHandler = Callable[[Job], None]


class Worker:
    """One loop: claim, run with a heartbeat, finish or fail; until ``stop`` is set."""

    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, JobHandler],
        *,
        poll_seconds: float,
        lease_seconds: float,
        stop: threading.Event,
        wake: threading.Event | None = None,
        name: str = "worker",
    ) -> None:
        self._queue = queue
        self._wake = wake or stop  # set when a job is queued anywhere (and on stop)
        self._handlers = handlers
        self._poll = poll_seconds
        self._lease = lease_seconds
        self._stop = stop
        self.name = name

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:
                log.exception("worker %s: claiming failed", self.name)
                worked = False
            if not worked:
                self._wake.wait(self._poll)
                self._wake.clear()

    def run_once(self) -> bool:
        job = self._queue.claim(list(self._handlers))
        if job is None:
            return False
        self._run(job)
        return True

    def _run(self, job: Job) -> None:
        beating = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(job, beating), daemon=True)
        heart.start()
        try:
            self._handlers[job.kind](job)
            if self._still_running(job):
                self._queue.finish(job)
        except LeaseLost:
            log.warning("job %s (%s): lease lost, results discarded", job.id, job.kind)
        except PermanentJobError as exc:
            self._queue.fail(job, str(exc), retry=False)
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
            self._queue.fail(job, f"{type(exc).__name__}: {exc}")
        finally:
            beating.set()
            heart.join()

    def _still_running(self, job: Job) -> bool:
        current = self._queue.get(job.id)
        return current is not None and current.lease_token == job.lease_token

    def _heartbeat(self, job: Job, done: threading.Event) -> None:
        while not done.wait(self._lease / 3):
            try:
                if not self._queue.renew(job):
                    return
            except Exception:
                log.exception("job %s: renewing the lease failed", job.id)


class WorkerPool:
    """``count`` worker threads sharing one stop signal, woken by ``wakeup`` when a job is queued;
    one more thread deletes finished jobs older than ``retention_seconds`` (none if 0)."""

    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, JobHandler],
        *,
        count: int,
        poll_seconds: float,
        lease_seconds: float,
        wakeup: JobWakeup,
        retention_seconds: float = 0.0,
    ) -> None:
        self._queue = queue
        self._stop = threading.Event()
        self._wakeup = wakeup
        self._retention = retention_seconds
        self._threads = [
            threading.Thread(
                target=Worker(
                    queue,
                    handlers,
                    poll_seconds=poll_seconds,
                    lease_seconds=lease_seconds,
                    stop=self._stop,
                    wake=wakeup.event,
                    name=f"worker-{i}",
                ).run,
                name=f"longdoc-worker-{i}",
                daemon=True,
            )
            for i in range(count)
        ]
        if retention_seconds > 0:
            self._threads.append(
                threading.Thread(target=self._prune, name="longdoc-job-pruning", daemon=True)
            )

    def start(self) -> None:
        self._wakeup.start()
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wakeup.stop()
        for thread in self._threads:
            thread.join(timeout)

    def _prune(self) -> None:
        while not self._stop.wait(PRUNE_EVERY_SECONDS):
            try:
                pruned = self._queue.prune(self._retention)
            except Exception:
                log.exception("deleting finished jobs failed")
                continue
            if pruned:
                log.info("deleted %s finished jobs older than %.0f s", pruned, self._retention)
