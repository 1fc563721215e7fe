"""The parse job: bytes → Document → token count → lexical index → stored, then the file is
``processed`` (the record, its parsed form and its index become visible in one transaction, with
the embedding job when dense vectors are on: ``embedding``).

All but the storing runs in the parse child (``preparation``); this process streams the child's
files into the blob store and never holds the document."""

from __future__ import annotations

import logging
import threading

from longdoc.config import ContextSettings, ParsingSettings
from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.core.files import FileStatus
from longdoc.core.jobs import Job
from longdoc.documents.embedding import EMBED_JOB
from longdoc.documents.preparation import PreparedFile, prepare_isolated
from longdoc.jobs.queue import JobQueue
from longdoc.parsing.isolation import ParseInterrupted
from longdoc.storage.blobs import BlobStore
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository

log = logging.getLogger(__name__)


class ParseJobHandler:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        queue: JobQueue,
        settings: ParsingSettings,
        context: ContextSettings | None = None,
        *,
        embed: bool = False,
        stopping: threading.Event | None = None,
    ) -> None:
        """``embed``: queue the embedding job for files of at most ``context.dense_max_chunks``
        chunks (dense vectors are on, and an embedder is installed)."""
        self._db = db
        self._blobs = blobs
        self._queue = queue
        self._settings = settings
        self._context = context or ContextSettings()
        self._embed = embed
        self._stopping = stopping or threading.Event()
        self._files = FileRepository()

    def __call__(self, job: Job) -> None:
        file_id = job.payload["file_id"]
        with self._db.read() as conn:
            record = self._files.get_any(conn, file_id)
        if record is None or record.status is not FileStatus.UPLOADED:
            return  # deleted meanwhile, or already finished by an earlier attempt
        strategy = ParsingStrategy(job.payload.get("strategy", ParsingStrategy.AUTO.value))
        try:
            with prepare_isolated(
                self._blobs.local_path(record.sha256),
                file_id=file_id,
                strategy=strategy,
                filename=record.filename,
                parsing=self._settings,
                context=self._context,
                stop=self._stopping,
            ) as prepared:
                self._publish(job, file_id, prepared)
        except ParseInterrupted:
            # the process is stopping: the file is parsed again later, and this try is not counted
            self._queue.release(job)
            return
        except ParseFailed as exc:
            log.info("file %s failed to parse: %s", file_id, exc.message)
            with self._queue.finishing(job) as conn:
                self._files.set_status(conn, file_id, FileStatus.ERROR, status_details=exc.message)
            return
        except Exception as exc:
            if job.attempts < job.max_attempts:
                raise  # retried with backoff
            log.exception("file %s: parsing failed on the last attempt", file_id)
            with self._queue.finishing(job) as conn:
                self._files.set_status(
                    conn, file_id, FileStatus.ERROR, status_details=f"internal error while parsing: {exc}"
                )

    def _publish(self, job: Job, file_id: str, prepared: PreparedFile) -> None:
        parsed_sha = self._blobs.put_file(prepared.document_json)
        index_sha = self._blobs.put_file(prepared.index)
        log.info(
            "file %s prepared: %s tokens, parse child peak RSS %.0f MiB",
            file_id,
            prepared.tokens,
            prepared.child_peak_rss_mb,
        )
        with self._queue.finishing(job) as conn:
            self._files.set_status(
                conn,
                file_id,
                FileStatus.PROCESSED,
                format=prepared.format,
                pages=prepared.pages,
                tokens=prepared.tokens,
                parsed_sha256=parsed_sha,
                index_sha256=index_sha,
            )
            if self._embed and 0 < prepared.chunks <= self._context.dense_max_chunks:
                self._queue.enqueue(conn, EMBED_JOB, {"file_id": file_id, "chunks": prepared.chunks})
