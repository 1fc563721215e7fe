"""INSERT … ON CONFLICT for whichever store a connection talks to (PostgreSQL and SQLite share the syntax)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(conn: Connection, table: Table) -> Any:
    """The dialect's ``insert``, which has ``on_conflict_do_update`` / ``on_conflict_do_nothing``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no upsert for the {conn.dialect.name} dialect")
