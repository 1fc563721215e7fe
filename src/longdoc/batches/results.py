"""The output and error files of a finished batch: JSONL files of purpose ``batch_output``.

The lines' answers are already durable rows; the files are built from them in input order, stored
as blobs (content-addressed, so writing them twice is harmless) and recorded by the caller in the
same transaction that ends the batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection

from longdoc.core import ids
from longdoc.core.batches import LineState
from longdoc.core.files import FilePurpose, FileRecord, FileStatus
from longdoc.storage.batches import BatchRepository
from longdoc.storage.blobs import BlobStore, StagedBlob
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository


@dataclass(frozen=True)
class ResultFile:
    record: FileRecord
    staged: StagedBlob


class ResultFiles:
    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self._db = db
        self._blobs = blobs
        self._batches = BatchRepository()
        self._files = FileRepository()

    def build(self, account_id: str, batch_id: str, state: LineState) -> ResultFile | None:
        """Stage and publish the file of ``state`` lines; None when there are none."""
        writer = self._blobs.writer()
        lines = 0
        try:
            with self._db.read() as conn:
                for line in self._batches.results(conn, batch_id, state):
                    writer.write(line.encode() + b"\n")
                    lines += 1
        except BaseException:
            writer.abort()
            raise
        if lines == 0:
            writer.abort()
            return None
        staged = writer.close()
        self._blobs.publish(staged)
        kind = "output" if state is LineState.SUCCEEDED else "error"
        record = FileRecord(
            id=ids.batch_output_file_id(),
            account_id=account_id,
            purpose=FilePurpose.BATCH_OUTPUT,
            filename=f"{batch_id}_{kind}.jsonl",
            bytes=staged.size,
            sha256=staged.sha256,
            status=FileStatus.PROCESSED,
            created_at=int(time.time()),
        )
        return ResultFile(record, staged)

    def record(self, conn: Connection, result: ResultFile | None) -> str | None:
        if result is None:
            return None
        self._files.insert(conn, result.record)
        return result.record.id

    def settle(self, result: ResultFile | None) -> None:
        """After the records commit: publish again (a concurrent delete of a twin may have removed
        the blob in between) and drop the temp file."""
        if result is None:
            return
        self._blobs.publish(result.staged)
        self._blobs.discard(result.staged)

    def discard(self, result: ResultFile | None) -> None:
        if result is not None:
            self._blobs.discard(result.staged)
