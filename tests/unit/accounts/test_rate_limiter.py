"""Rate limits counted in the metadata store (SQLite, PostgreSQL) and in Redis."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from longdoc.accounts.limits import Counters, RateLimiter
from longdoc.config import RateLimitSettings
from longdoc.core.accounts import Account, Principal
from longdoc.core.errors import RateLimited
from longdoc.storage.database import Database
from longdoc.storage.ratelimits import RedisCounters, SqlCounters
from support.stores import STORES, store_url

REDIS_URL = os.environ.get("LONGDOC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def redis_reachable() -> bool:
    host_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture(params=[*STORES, "redis"])
def counters_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Counters]]:
    """New counter clients on one shared store, as separate API processes would hold."""
    if request.param in STORES:
        with store_url(request.param, tmp_path) as url:
            Database(url).migrate()
            databases: list[Database] = []

            def sql() -> Counters:
                databases.append(Database(url))  # its own engine and connections
                return SqlCounters(databases[-1])

            yield sql
            for database in databases:
                database.dispose()
        return
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set LONGDOC_TEST_REDIS_URL)")
    prefix = f"longdoc-test:{secrets.token_hex(6)}:"
    clients: list[RedisCounters] = []

    def make_redis() -> Counters:
        clients.append(RedisCounters(REDIS_URL, prefix=prefix))
        return clients[-1]

    yield make_redis
    for client in clients:
        client.close()


def limiter(
    counters: Counters, clock: Clock, names: dict[str, str] | None = None, **settings: object
) -> RateLimiter:
    return RateLimiter(
        RateLimitSettings(**settings), counters, lambda aid: (names or {}).get(aid), clock=clock
    )


ALICE = Principal(account_id="acct-alice", key_id="key-a1")
ALICE_2 = Principal(account_id="acct-alice", key_id="key-a2")


def test_requests_over_the_key_limit_are_refused_until_the_window_turns(
    counters_factory: Callable[[], Counters],
) -> None:
    clock = Clock(1_000_040.0)  # 20 s into a minute window
    limits = limiter(counters_factory(), clock, key_requests_per_minute=3)
    for _ in range(3):
        limits.admit(ALICE)
    with pytest.raises(RateLimited) as refused:
        limits.admit(ALICE)
    assert refused.value.retry_after == 40
    assert "3 requests per 60 s" in refused.value.message
    limits.admit(ALICE_2)  # another key of the account has its own count
    clock.now += 40
    limits.admit(ALICE)


def test_the_account_limit_covers_all_its_keys(counters_factory: Callable[[], Counters]) -> None:
    limits = limiter(counters_factory(), Clock(2_000_000.0), requests_per_minute=2)
    limits.admit(ALICE)
    limits.admit(ALICE_2)
    with pytest.raises(RateLimited, match="this account allows 2 requests"):
        limits.admit(Principal(account_id="acct-alice", key_id="key-a3"))
    limits.admit(Principal(account_id="acct-bob", key_id="key-b1"))


def test_tokens_spent_refuse_the_next_request(counters_factory: Callable[[], Counters]) -> None:
    clock = Clock(3_000_000.0)
    limits = limiter(counters_factory(), clock, key_tokens_per_minute=1_000)
    limits.admit(ALICE)
    limits.charge_tokens(ALICE.account_id, ALICE.key_id, 999)
    limits.admit(ALICE)  # 999 < 1,000: one more may start
    limits.charge_tokens(ALICE.account_id, ALICE.key_id, 5)
    with pytest.raises(RateLimited, match="Tokens rate limit exceeded") as refused:
        limits.admit(ALICE)
    assert refused.value.retry_after == 60
    limits.admit(ALICE_2)
    clock.now += 60
    limits.admit(ALICE)


def test_counts_hold_across_processes(counters_factory: Callable[[], Counters]) -> None:
    clock = Clock(4_000_000.0)
    first, second = (limiter(counters_factory(), clock, key_requests_per_minute=4) for _ in range(2))
    for limits in (first, second, first, second):
        limits.admit(ALICE)
    for limits in (first, second):
        with pytest.raises(RateLimited):
            limits.admit(ALICE)
    first.charge_tokens(ALICE.account_id, ALICE.key_id, 10_000_000)
    with pytest.raises(RateLimited, match="Tokens"):
        second.admit(ALICE_2)  # the account's tokens, spent through the first process


def test_per_account_overrides_by_name(counters_factory: Callable[[], Counters]) -> None:
    vip = Account(id="acct-vip", name="vip", created_at=0)
    names = {vip.id: vip.name}
    limits = limiter(
        counters_factory(),
        Clock(5_000_000.0),
        names,
        key_requests_per_minute=1,
        accounts={"vip": {"key_requests_per_minute": 3}},
    )
    for _ in range(3):
        limits.admit(Principal(account_id=vip.id, key_id="key-v"))
    with pytest.raises(RateLimited):
        limits.admit(Principal(account_id=vip.id, key_id="key-v"))
    limits.admit(ALICE)
    with pytest.raises(RateLimited, match="this API key allows 1 requests"):
        limits.admit(ALICE)
    assert limits.limits_for(vip.id).key_requests == 3 and limits.limits_for("acct-alice").key_requests == 1


def test_disabled_limits_count_nothing(counters_factory: Callable[[], Counters]) -> None:
    limits = limiter(counters_factory(), Clock(6_000_000.0), enabled=False, key_requests_per_minute=1)
    for _ in range(5):
        limits.admit(ALICE)


def test_an_unreachable_redis_admits_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    limits = limiter(
        RedisCounters(f"redis://127.0.0.1:{closed_port}/0"), Clock(7_000_000.0), key_requests_per_minute=1
    )
    with caplog.at_level(logging.WARNING, logger="longdoc.accounts.limits"):
        limits.admit(ALICE)
        limits.admit(ALICE)
    assert "admitted unchecked" in caplog.text


def test_store_rows_of_old_windows_are_dropped(db: Database) -> None:
    from sqlalchemy import func, select

    from longdoc.storage.ratelimits import rate_counters

    counters = SqlCounters(db)
    for window in (0, 60, 120):
        assert counters.add(window, 60, {"rpm:key:k": 1, "rpm:key:j": 2}) == {"rpm:key:k": 1, "rpm:key:j": 2}
    assert counters.add(120, 60, {"rpm:key:k": 0, "rpm:key:x": 0}) == {"rpm:key:k": 1, "rpm:key:x": 0}
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(rate_counters)).scalar() == 2
