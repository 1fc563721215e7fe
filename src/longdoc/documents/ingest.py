"""The parse job: bytes → Document → token count → lexical index → stored, then the file is
``processed`` (the record, its parsed form and its index become visible in one transaction)."""

from __future__ import annotations

import logging
import threading

from longdoc.config import ContextSettings, ParsingSettings
from longdoc.context.indexing import build_index
from longdoc.context.tokens import TokenCounter
from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.core.files import FileStatus
from longdoc.core.jobs import Job
from longdoc.jobs.queue import JobQueue
from longdoc.parsing import parse_isolated
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
        tokens: TokenCounter,
        context: ContextSettings | None = None,
        *,
        stopping: threading.Event | None = None,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._queue = queue
        self._settings = settings
        self._tokens = tokens
        self._context = context or ContextSettings()
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
            document = parse_isolated(
                self._blobs.local_path(record.sha256),
                strategy=strategy,
                filename=record.filename,
                settings=self._settings,
                stop=self._stopping,
            )
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
            return
        tokens = self._tokens.count(document.text)
        parsed_sha = self._blobs.put_bytes(document.model_dump_json().encode())
        index = build_index(document, file_id=file_id, counter=self._tokens, settings=self._context)
        index_sha = self._blobs.put_bytes(index.to_bytes())
        del index  # ≈ 24 MB for a 10M-token file: not held through the transaction
        with self._queue.finishing(job) as conn:
            self._files.set_status(
                conn,
                file_id,
                FileStatus.PROCESSED,
                format=document.format,
                pages=len(document.pages) or None,
                tokens=tokens,
                parsed_sha256=parsed_sha,
                index_sha256=index_sha,
            )
