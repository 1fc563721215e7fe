"""Metadata stores for tests: a fresh SQLite file, or a fresh schema in the PostgreSQL that
``LONGDOC_TEST_POSTGRES_URL`` names (skipped with the reason when it is not set)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

STORES = ["sqlite", "postgres"]


def postgres_base_url() -> str | None:
    url = os.environ.get("LONGDOC_TEST_POSTGRES_URL")
    if not url:
        return None
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@contextmanager
def store_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """A database URL for one test; PostgreSQL gets its own schema, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'longdoc.db'}"
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip("PostgreSQL runs need LONGDOC_TEST_POSTGRES_URL (set by .ci/run)")
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
