"""File records in the metadata store. Every query is scoped to an account."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update

from longdoc.core.files import FilePurpose, FileRecord, FileStatus
from longdoc.storage.tables import files


def _record(row: Row[Any]) -> FileRecord:
    return FileRecord.model_validate(
        row._asdict() | {"purpose": FilePurpose(row.purpose)}, from_attributes=False
    )


class FileRepository:
    """SQL for ``files``; callers pass the transaction so that a file and its job commit together."""

    columns: ClassVar = [c for c in files.c if c.name != "seq"]

    def insert(self, conn: Connection, record: FileRecord) -> None:
        conn.execute(insert(files).values(**record.model_dump(), seq=time.time_ns()))

    def get(self, conn: Connection, account_id: str, file_id: str) -> FileRecord | None:
        row = conn.execute(
            select(*self.columns).where(files.c.id == file_id, files.c.account_id == account_id)
        ).first()
        return _record(row) if row else None

    def get_any(self, conn: Connection, file_id: str) -> FileRecord | None:
        """For background work that already holds a file id from a trusted job payload."""
        row = conn.execute(select(*self.columns).where(files.c.id == file_id)).first()
        return _record(row) if row else None

    def list(
        self,
        conn: Connection,
        account_id: str,
        *,
        limit: int,
        after: str | None = None,
        purpose: str | None = None,
    ) -> tuple[list[FileRecord], bool]:
        """Newest first; ``after`` is the id of the last file of the previous page."""
        query = select(*self.columns).where(files.c.account_id == account_id)
        if purpose:
            query = query.where(files.c.purpose == purpose)
        if after:
            anchor = conn.execute(
                select(files.c.seq, files.c.id).where(files.c.id == after, files.c.account_id == account_id)
            ).first()
            if anchor is not None:
                query = query.where(
                    or_(files.c.seq < anchor.seq, and_(files.c.seq == anchor.seq, files.c.id < anchor.id))
                )
        rows = conn.execute(query.order_by(files.c.seq.desc(), files.c.id.desc()).limit(limit + 1)).all()
        return [_record(r) for r in rows[:limit]], len(rows) > limit

    def usage(self, conn: Connection, account_id: str) -> tuple[int, int]:
        """(files, bytes) the account holds."""
        row = conn.execute(
            select(func.count(), func.coalesce(func.sum(files.c.bytes), 0)).where(
                files.c.account_id == account_id
            )
        ).one()
        return int(row[0]), int(row[1])

    def set_status(self, conn: Connection, file_id: str, status: FileStatus, **fields: Any) -> bool:
        result = conn.execute(
            update(files).where(files.c.id == file_id).values(status=status.value, **fields)
        )
        return result.rowcount > 0

    def set_vectors(self, conn: Connection, file_id: str, index_sha256: str, vectors_sha256: str) -> bool:
        """Record the vectors built for a file's index; False when the file is gone or its index
        is not the one they were built from."""
        result = conn.execute(
            update(files)
            .where(files.c.id == file_id, files.c.index_sha256 == index_sha256)
            .values(vectors_sha256=vectors_sha256)
        )
        return result.rowcount > 0

    def delete(self, conn: Connection, account_id: str, file_id: str) -> FileRecord | None:
        record = self.get(conn, account_id, file_id)
        if record is None:
            return None
        conn.execute(delete(files).where(files.c.id == file_id))
        return record

    def references(self, conn: Connection, sha256: str) -> int:
        """How many files still use ``sha256`` as their bytes, their parsed form, index or vectors."""
        return int(
            conn.execute(
                select(func.count()).where(
                    or_(
                        files.c.sha256 == sha256,
                        files.c.parsed_sha256 == sha256,
                        files.c.index_sha256 == sha256,
                        files.c.vectors_sha256 == sha256,
                    )
                )
            ).scalar_one()
        )

    def processed_with(self, conn: Connection, sha256: str) -> FileRecord | None:
        """A processed file with the same bytes, whose parse can be reused."""
        row = conn.execute(
            select(*self.columns)
            .where(files.c.sha256 == sha256, files.c.status == FileStatus.PROCESSED.value)
            .where(files.c.parsed_sha256.is_not(None))
            .limit(1)
        ).first()
        return _record(row) if row else None
