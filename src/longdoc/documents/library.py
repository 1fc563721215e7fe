"""Files an account uploads: stored once, parsed in the background, read back in every form."""

from __future__ import annotations

import time
from typing import BinaryIO

from longdoc.config import LimitSettings
from longdoc.context.dense import DenseIndex
from longdoc.context.lexical import LexicalIndex
from longdoc.core import ids
from longdoc.core.documents import Document
from longdoc.core.errors import (
    FileNotReady,
    FileParsingInProgress,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    TooLarge,
)
from longdoc.core.files import FilePurpose, FileRecord, FileStatus
from longdoc.documents.indexes import StoredIndexes
from longdoc.documents.names import stored_filename
from longdoc.jobs.queue import JobQueue
from longdoc.storage.blobs import BlobStore, BlobWriter, StagedBlob
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository

PARSE_JOB = "parse"
UPLOAD_PURPOSES = (FilePurpose.FILE_EXTRACT, FilePurpose.BATCH)
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


class DocumentLibrary:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        queue: JobQueue,
        limits: LimitSettings,
        indexes: StoredIndexes,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._queue = queue
        self._limits = limits
        self._files = FileRepository()
        self._indexes = indexes

    # -- upload
    def check_purpose(self, purpose: str | None) -> FilePurpose:
        if purpose not in {p.value for p in UPLOAD_PURPOSES}:
            raise InvalidRequest("'purpose' must be 'file-extract' or 'batch'", param="purpose")
        return FilePurpose(purpose)

    def upload_limit(self, purpose: FilePurpose) -> int:
        if purpose is FilePurpose.BATCH:
            return self._limits.batch_file_bytes
        return self._limits.document_bytes

    def open_writer(self) -> BlobWriter:
        """A writer for upload bytes, capped at the largest limit of any purpose."""
        largest = max(self.upload_limit(p) for p in UPLOAD_PURPOSES)
        return self._blobs.writer(max_bytes=largest)

    def add(self, account_id: str, staged: StagedBlob, *, filename: str, purpose: FilePurpose) -> FileRecord:
        """Record staged bytes as a new file of ``account_id`` and queue its parse.

        The temp file is always removed. The blob is published before the record commits (so a
        worker never sees a record without bytes) and again after (in case a concurrent delete of
        the last other copy removed it in between).
        """
        try:
            filename = stored_filename(filename)
            self._check_upload(staged, purpose)
            self._blobs.publish(staged)
            needs_parse = purpose is FilePurpose.FILE_EXTRACT
            record = FileRecord(
                id=ids.document_file_id() if needs_parse else ids.batch_file_id(),
                account_id=account_id,
                purpose=purpose,
                filename=filename,
                bytes=staged.size,
                sha256=staged.sha256,
                status=FileStatus.UPLOADED if needs_parse else FileStatus.PROCESSED,
                created_at=int(time.time()),
            )
            with self._db.write() as conn:
                count, used = self._files.usage(conn, account_id)
                if count + 1 > self._limits.account_files:
                    raise QuotaExceeded(
                        f"the account already holds {count:,} files, the most allowed "
                        f"({self._limits.account_files:,}); delete files to upload more"
                    )
                if used + staged.size > self._limits.account_bytes:
                    raise QuotaExceeded(
                        f"the account's files would take {used + staged.size:,} bytes, over the limit of "
                        f"{self._limits.account_bytes:,}; delete files to upload more"
                    )
                self._files.insert(conn, record)
                if needs_parse:
                    self._queue.enqueue(conn, PARSE_JOB, {"file_id": record.id})
            self._blobs.publish(staged)
            return record
        finally:
            self._blobs.discard(staged)

    def _check_upload(self, staged: StagedBlob, purpose: FilePurpose) -> None:
        if staged.size == 0:
            raise InvalidRequest("the file is empty", param="file")
        limit = self.upload_limit(purpose)
        if staged.size > limit:
            raise TooLarge(
                f"the file is {staged.size:,} bytes, over the limit of {limit:,} for purpose '{purpose}'",
                param="file",
            )
        is_image = purpose is FilePurpose.FILE_EXTRACT and staged.head.startswith(IMAGE_MAGIC)
        if is_image and staged.size > self._limits.image_bytes:
            raise TooLarge(
                f"the image is {staged.size:,} bytes, over the image limit of {self._limits.image_bytes:,}",
                param="file",
            )

    # -- reading
    def get(self, account_id: str, file_id: str) -> FileRecord:
        with self._db.read() as conn:
            record = self._files.get(conn, account_id, file_id)
        if record is None:
            raise NotFound(f"No such file: {file_id}", param="file_id")
        return record

    def list(
        self, account_id: str, *, limit: int, after: str | None, purpose: str | None
    ) -> tuple[list[FileRecord], bool]:
        with self._db.read() as conn:
            return self._files.list(conn, account_id, limit=limit, after=after, purpose=purpose)

    def content(self, account_id: str, file_id: str) -> tuple[FileRecord, BinaryIO]:
        record = self.get(account_id, file_id)
        return record, self._blobs.open(record.sha256)

    def parsed(self, account_id: str, file_id: str) -> tuple[FileRecord, Document]:
        """The parsed document of a file that is ready to be read."""
        record = self.ready(self.get(account_id, file_id))
        assert record.parsed_sha256 is not None
        with self._blobs.open(record.parsed_sha256) as blob:
            return record, Document.model_validate_json(blob.read())

    def index(self, record: FileRecord) -> LexicalIndex | None:
        """The lexical index of a ready file, memory-mapped and cached; None for a file processed
        before the parse job built indexes (the caller builds one from the document)."""
        return None if record.index_sha256 is None else self._indexes.load(record.index_sha256)

    def vectors(self, record: FileRecord) -> DenseIndex | None:
        """The dense vectors of a ready file's index, once the background embedding stored them."""
        return None if record.vectors_sha256 is None else self._indexes.load_vectors(record.vectors_sha256)

    @staticmethod
    def ready(record: FileRecord) -> FileRecord:
        if record.status is FileStatus.UPLOADED:
            raise FileParsingInProgress(record.id)
        if record.status is FileStatus.ERROR:
            raise FileNotReady(f"File {record.id} could not be parsed: {record.status_details}")
        if record.purpose is not FilePurpose.FILE_EXTRACT or record.parsed_sha256 is None:
            raise InvalidRequest(f"File {record.id} has purpose '{record.purpose}' and holds no document")
        return record

    # -- deleting
    def delete(self, account_id: str, file_id: str) -> FileRecord:
        with self._db.write() as conn:
            record = self._files.delete(conn, account_id, file_id)
            if record is None:
                raise NotFound(f"No such file: {file_id}", param="file_id")
            orphans = [
                sha
                for sha in {record.sha256, record.parsed_sha256, record.index_sha256, record.vectors_sha256}
                if sha and self._files.references(conn, sha) == 0
            ]
        for stored in (record.index_sha256, record.vectors_sha256):
            if stored:
                self._indexes.discard(stored)
        for sha in orphans:
            self._blobs.delete(sha)
        return record
