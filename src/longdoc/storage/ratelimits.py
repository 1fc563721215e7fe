"""Rate-limit counters shared by every API process: rows in the metadata store, or keys in Redis.

A counter is a name (``rpm:key:<id>``…) and a fixed window (its start, in epoch seconds). ``add``
adds to several counters at once and returns their new values; an increment of 0 only reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, Column, String, Table, delete, select

from longdoc.storage.database import Database
from longdoc.storage.tables import metadata
from longdoc.storage.upsert import insert_for

rate_counters = Table(
    "rate_counters",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("hits", BigInteger, nullable=False),
)


class SqlCounters:
    """One row per (counter, window), bumped with INSERT … ON CONFLICT DO UPDATE … RETURNING."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, window_start: int, window_seconds: int, increments: Mapping[str, int]) -> dict[str, int]:
        values: dict[str, int] = {}
        c = rate_counters.c
        with self._db.write() as conn:
            for name in sorted(increments):  # a fixed order: two requests never wait on each other's rows
                amount = increments[name]
                if amount == 0:
                    found = conn.execute(
                        select(c.hits).where(c.name == name, c.window_start == window_start)
                    ).scalar()
                    values[name] = int(found or 0)
                    continue
                statement = insert_for(conn, rate_counters).values(
                    name=name, window_start=window_start, hits=amount
                )
                statement = statement.on_conflict_do_update(
                    index_elements=["name", "window_start"], set_={"hits": c.hits + statement.excluded.hits}
                ).returning(c.hits)
                values[name] = int(conn.execute(statement).scalar_one())
                if values[name] == amount:  # the window's first hit: drop this counter's old windows
                    conn.execute(delete(rate_counters).where(c.name == name, c.window_start < window_start))
        return values


class RedisCounters:
    """INCRBY + EXPIRE in one pipeline; keys outlive their window by one window, then Redis drops them."""

    def __init__(self, url: str, *, prefix: str = "longdoc:rate:") -> None:
        import redis  # only when Redis is configured

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    def add(self, window_start: int, window_seconds: int, increments: Mapping[str, int]) -> dict[str, int]:
        names = sorted(increments)
        pipe = self._redis.pipeline(transaction=True)
        for name in names:
            key = f"{self._prefix}{name}:{window_start}"
            if increments[name]:
                pipe.incrby(key, increments[name])
                pipe.expire(key, window_seconds * 2)
            else:
                pipe.get(key)
        replies = iter(pipe.execute())
        values: dict[str, int] = {}
        for name in names:
            values[name] = int(next(replies) or 0)
            if increments[name]:
                next(replies)  # EXPIRE's reply
        return values

    def ping(self) -> bool:
        return bool(self._redis.ping())

    def close(self) -> None:
        self._redis.close()
