"""The metadata schema. Alembic migrations in ``migrations/versions`` create and evolve it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

files = Table(
    "files",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("filename", String(1024), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("status_details", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),  # creation order within the store, for stable paging
    Column("format", String(16)),
    Column("pages", Integer),
    Column("tokens", BigInteger),
    Column("parsed_sha256", String(64)),
    Column("index_sha256", String(64)),  # the lexical retrieval index (context.lexical), once built
    Column("vectors_sha256", String(64)),  # dense vectors of the index's chunks (context.dense), once built
    Index("ix_files_account_seq", "account_id", "seq"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", Float, nullable=False),
    Column("lease_until", Float),
    Column("lease_token", String(64)),
    Column("error", Text),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Index("ix_jobs_state_run_after", "state", "run_after"),
)

# doc_url documents, fetched and parsed once per URL and strategy (the bytes are public, so the cache
# is shared by all accounts); the validators let a repeated call revalidate instead of downloading.
remote_documents = Table(
    "remote_documents",
    metadata,
    Column("url_sha256", String(64), primary_key=True),
    Column("strategy", String(16), primary_key=True),
    Column("url", Text, nullable=False),
    Column("filename", String(1024), nullable=False),
    Column("etag", String(1024)),
    Column("last_modified", String(128)),
    Column("fresh_until", Float, nullable=False),
    Column("fetched_at", Float, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("parsed_sha256", String(64), nullable=False),
    Column("format", String(16), nullable=False),
    Column("tokens", BigInteger, nullable=False),
    Column("index_sha256", String(64)),
)
