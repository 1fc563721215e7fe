"""Rate limits: requests and tokens per window, per key and per account.

Fixed windows (``rate_limits.window_seconds``, a minute by default) counted in a store every API
process shares: the metadata store, or Redis when configured. A model request counts one request
for its key and its account when it is admitted; the tokens it spends are charged when its usage
is recorded, and a key or account that has spent its tokens for the window is refused until the
next one. A refusal is ``RateLimited`` with ``retry_after`` the seconds left in the window.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from longdoc.config import RateLimitSettings
from longdoc.core.accounts import Principal
from longdoc.core.errors import RateLimited

log = logging.getLogger(__name__)

_NAME_CACHE = 10_000


class Counters(Protocol):
    def add(
        self, window_start: int, window_seconds: int, increments: Mapping[str, int]
    ) -> dict[str, int]: ...


@dataclass(frozen=True)
class Limits:
    key_requests: int
    key_tokens: int
    account_requests: int
    account_tokens: int


class RateLimiter:
    def __init__(
        self,
        settings: RateLimitSettings,
        counters: Counters,
        account_name: Callable[[str], str | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._counters = counters
        self._account_name = account_name
        self._clock = clock
        self._names: dict[str, str | None] = {}  # account id → name, for the per-account overrides

    def limits_for(self, account_id: str) -> Limits:
        s = self._settings
        override = self._settings.accounts.get(self._name_of(account_id) or "") if s.accounts else None
        if override is None:
            return Limits(
                s.key_requests_per_minute, s.key_tokens_per_minute, s.requests_per_minute, s.tokens_per_minute
            )
        return Limits(
            override.key_requests_per_minute or s.key_requests_per_minute,
            override.key_tokens_per_minute or s.key_tokens_per_minute,
            override.requests_per_minute or s.requests_per_minute,
            override.tokens_per_minute or s.tokens_per_minute,
        )

    def admit(self, principal: Principal) -> None:
        """Count one request of ``principal``; RateLimited if it, or its tokens, are over a limit."""
        if not self._settings.enabled:
            return
        limits = self.limits_for(principal.account_id)
        window, left = self._window()
        names = _names(principal.account_id, principal.key_id)
        try:
            counts = self._counters.add(
                window,
                self._settings.window_seconds,
                {
                    names.key_requests: 1,
                    names.account_requests: 1,
                    names.key_tokens: 0,
                    names.account_tokens: 0,
                },
            )
        except Exception:  # an unreachable counter store must not take the service down with it
            log.warning("rate-limit counters unavailable; request admitted unchecked", exc_info=True)
            return
        span = f"{self._settings.window_seconds} s"
        checks = (
            (
                counts[names.key_requests],
                limits.key_requests,
                f"this API key allows {limits.key_requests:,} requests per {span}",
            ),
            (
                counts[names.account_requests],
                limits.account_requests,
                f"this account allows {limits.account_requests:,} requests per {span}",
            ),
        )
        for used, limit, what in checks:
            if used > limit:
                raise RateLimited(
                    f"Requests rate limit exceeded: {what}. Retry after {left:.0f} s.", retry_after=left
                )
        token_checks = (
            (
                counts[names.key_tokens],
                limits.key_tokens,
                f"this API key allows {limits.key_tokens:,} tokens per {span}",
            ),
            (
                counts[names.account_tokens],
                limits.account_tokens,
                f"this account allows {limits.account_tokens:,} tokens per {span}",
            ),
        )
        for used, limit, what in token_checks:
            if used >= limit:
                raise RateLimited(
                    f"Tokens rate limit exceeded: {what}. Retry after {left:.0f} s.", retry_after=left
                )

    def charge_tokens(self, account_id: str, key_id: str | None, tokens: int) -> None:
        """Count tokens a call spent against its key's and account's window."""
        if not self._settings.enabled or tokens <= 0:
            return
        window, _ = self._window()
        names = _names(account_id, key_id)
        increments = {names.account_tokens: tokens}
        if key_id is not None:
            increments[names.key_tokens] = tokens
        self._counters.add(window, self._settings.window_seconds, increments)

    def _window(self) -> tuple[int, float]:
        """The current window's start, and the whole seconds left in it (at least 1)."""
        now = self._clock()
        size = self._settings.window_seconds
        start = int(now // size) * size
        return start, float(max(1, math.ceil(start + size - now)))

    def _name_of(self, account_id: str) -> str | None:
        if account_id not in self._names:
            if len(self._names) >= _NAME_CACHE:
                self._names.clear()
            self._names[account_id] = self._account_name(account_id)
        return self._names[account_id]


@dataclass(frozen=True)
class _Names:
    key_requests: str
    key_tokens: str
    account_requests: str
    account_tokens: str


def _names(account_id: str, key_id: str | None) -> _Names:
    key = key_id or f"account-{account_id}"
    return _Names(f"rpm:key:{key}", f"tpm:key:{key}", f"rpm:acct:{account_id}", f"tpm:acct:{account_id}")
