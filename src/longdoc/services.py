"""The composition root: settings in, every long-lived service out.

The app factory, the CLI and tests build a ``Services`` here and pass it down; nothing else
constructs stores or picks implementations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from longdoc.accounts.keys import KeyService
from longdoc.config import Settings
from longdoc.context.tokens import TokenCounter
from longdoc.documents.ingest import ParseJobHandler
from longdoc.documents.library import PARSE_JOB, DocumentLibrary
from longdoc.jobs.queue import JobQueue
from longdoc.jobs.worker import JobHandler, WorkerPool
from longdoc.storage.blobs import BlobStore, FilesystemBlobStore
from longdoc.storage.database import Database

BLOB_STORES = {"filesystem"}


@dataclass
class Services:
    settings: Settings
    db: Database
    blobs: BlobStore
    queue: JobQueue
    keys: KeyService
    library: DocumentLibrary
    tokens: TokenCounter
    _pools: list[WorkerPool] = field(default_factory=list)

    def job_handlers(self) -> dict[str, JobHandler]:
        return {
            PARSE_JOB: ParseJobHandler(self.db, self.blobs, self.queue, self.settings.parsing, self.tokens),
        }

    def start_workers(self, count: int) -> None:
        if count <= 0:
            return
        pool = WorkerPool(
            self.queue,
            self.job_handlers(),
            count=count,
            poll_seconds=self.settings.jobs.poll_seconds,
            lease_seconds=self.settings.jobs.lease_seconds,
        )
        pool.start()
        self._pools.append(pool)

    def close(self) -> None:
        for pool in self._pools:
            pool.stop()
        self._pools.clear()
        self.db.dispose()


def build_services(settings: Settings) -> Services:
    if settings.storage.blob_kind not in BLOB_STORES:
        raise ValueError(
            f"unknown storage.blob_kind {settings.storage.blob_kind!r}; known: {', '.join(sorted(BLOB_STORES))}"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    db.migrate()
    blobs = FilesystemBlobStore(settings.blob_dir)
    queue = JobQueue(db, settings.jobs)
    return Services(
        settings=settings,
        db=db,
        blobs=blobs,
        queue=queue,
        keys=KeyService(db),
        library=DocumentLibrary(db, blobs, queue, settings.limits),
        tokens=TokenCounter(),
    )
