"""Waking idle workers the moment a job is queued, in any process: PostgreSQL's LISTEN/NOTIFY.

``JobQueue.enqueue`` sends ``NOTIFY longdoc_jobs`` in the transaction that queues the job (the
notice is delivered when it commits). Each worker process holds one listening connection and sets
an event its idle workers wait on, so a job queued by an API process on another machine starts
within milliseconds instead of a poll interval. Polling stays as the fallback: on SQLite, while
the listening connection is down, and for jobs that become due later (retries with backoff).
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

CHANNEL = "longdoc_jobs"
RECONNECT_SECONDS = 5.0


def libpq_url(database_url: str) -> str | None:
    """The PostgreSQL URL psycopg takes for a SQLAlchemy URL; None for other databases."""
    scheme, _, rest = database_url.partition("://")
    if scheme.split("+")[0] not in ("postgresql", "postgres"):
        return None
    return f"postgresql://{rest}"


class JobWakeup:
    """An event set whenever any process queues a job (and by ``stop``)."""

    def __init__(self, database_url: str) -> None:
        self.event = threading.Event()
        self._url = libpq_url(database_url)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def listens(self) -> bool:
        return self._url is not None

    def start(self) -> None:
        if self._url is not None and self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="longdoc-job-wakeup", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _listen(self) -> None:
        import psycopg

        assert self._url is not None
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.event.set()
            except psycopg.Error as exc:
                log.warning("listening for new jobs failed (%s); polling until it is back", exc)
                self._stopping.wait(RECONNECT_SECONDS)
