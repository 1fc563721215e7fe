"""The doc_url cache in the metadata store: one row per URL and parsing strategy."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from longdoc.storage.tables import remote_documents


def url_key(url: str) -> str:
    """URLs can be long; rows are keyed by their hash."""
    return hashlib.sha256(url.encode()).hexdigest()


@dataclass(frozen=True)
class RemoteDocumentRecord:
    url: str
    strategy: str
    filename: str
    etag: str | None
    last_modified: str | None
    fresh_until: float  # epoch seconds until which the server said the bytes stay valid
    fetched_at: float
    bytes: int
    sha256: str  # of the fetched bytes
    parsed_sha256: str  # blob of the parsed Document (JSON)
    format: str
    tokens: int
    index_sha256: str | None = None  # blob of its lexical index (none for rows cached before indexes)


def _record(row: Row[Any]) -> RemoteDocumentRecord:
    values = row._asdict()
    values.pop("url_sha256")
    return RemoteDocumentRecord(**values)


class RemoteDocumentRepository:
    def get(self, conn: Connection, url: str, strategy: str) -> RemoteDocumentRecord | None:
        row = conn.execute(
            select(remote_documents).where(
                remote_documents.c.url_sha256 == url_key(url), remote_documents.c.strategy == strategy
            )
        ).first()
        return _record(row) if row else None

    def put(self, conn: Connection, record: RemoteDocumentRecord) -> None:
        """Insert or replace; a concurrent insert of the same key simply wins."""
        values = asdict(record)
        key = url_key(record.url)
        where = (remote_documents.c.url_sha256 == key, remote_documents.c.strategy == record.strategy)
        if conn.execute(update(remote_documents).where(*where).values(**values)).rowcount:
            return
        try:
            with conn.begin_nested():
                conn.execute(insert(remote_documents).values(url_sha256=key, **values))
        except IntegrityError:
            conn.execute(update(remote_documents).where(*where).values(**values))

    def touch(
        self, conn: Connection, url: str, strategy: str, *, fetched_at: float, fresh_until: float
    ) -> None:
        """The server confirmed the cached bytes (304): they are fresh again."""
        conn.execute(
            update(remote_documents)
            .where(remote_documents.c.url_sha256 == url_key(url), remote_documents.c.strategy == strategy)
            .values(fetched_at=fetched_at, fresh_until=fresh_until)
        )

    def forget(self, conn: Connection, url: str, strategy: str) -> None:
        conn.execute(
            delete(remote_documents).where(
                remote_documents.c.url_sha256 == url_key(url), remote_documents.c.strategy == strategy
            )
        )
