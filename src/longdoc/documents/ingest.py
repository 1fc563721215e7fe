"""The parse job: bytes → Document → token count → stored, then the file is ``processed``."""

from __future__ import annotations

import logging
from typing import Protocol

from longdoc.config import ParsingSettings
from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.core.files import FileStatus
from longdoc.core.jobs import Job
from longdoc.jobs.queue import JobQueue
from longdoc.parsing import parse_isolated
from longdoc.storage.blobs import BlobStore
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository

log = logging.getLogger(__name__)


class TokenCounting(Protocol):
    def count(self, text: str) -> int: ...


class ParseJobHandler:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        queue: JobQueue,
        settings: ParsingSettings,
        tokens: TokenCounting,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._queue = queue
        self._settings = settings
        self._tokens = tokens
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
            )
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
        with self._queue.finishing(job) as conn:
            self._files.set_status(
                conn,
                file_id,
                FileStatus.PROCESSED,
                format=document.format,
                pages=len(document.pages) or None,
                tokens=tokens,
                parsed_sha256=parsed_sha,
            )
