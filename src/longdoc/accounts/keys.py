"""Creating accounts and keys, and turning a presented key into a Principal."""

from __future__ import annotations

import hashlib
import secrets
import time

from longdoc.core import ids
from longdoc.core.accounts import Account, Principal
from longdoc.core.errors import AuthenticationFailed
from longdoc.storage.accounts import AccountRepository
from longdoc.storage.database import Database

INVALID_KEY = "Invalid API-key provided."


def hash_key(key: str) -> str:
    # Keys are 192-bit random strings, so a plain hash is enough (no password stretching needed).
    return hashlib.sha256(key.encode()).hexdigest()


class KeyService:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._repo = AccountRepository()

    def ensure_account(self, name: str) -> Account:
        with self._db.write() as conn:
            existing = self._repo.account_by_name(conn, name)
            if existing:
                return existing
            account = Account(id="acct-" + secrets.token_hex(8), name=name, created_at=int(time.time()))
            self._repo.insert_account(conn, account)
            return account

    def create_key(self, account_name: str) -> str:
        """A new key for ``account_name`` (created if missing); the plaintext is returned once."""
        account = self.ensure_account(account_name)
        key = ids.api_key()
        with self._db.write() as conn:
            self._repo.insert_key(
                conn,
                key_id="key-" + secrets.token_hex(8),
                account_id=account.id,
                key_hash=hash_key(key),
                prefix=key[:7],
                created_at=int(time.time()),
            )
        return key

    def bootstrap(self, account_name: str = "default") -> str | None:
        """On an empty store: create ``account_name`` and a key, returned; otherwise None."""
        with self._db.read() as conn:
            if self._repo.count_accounts(conn):
                return None
        return self.create_key(account_name)

    def authenticate(self, key: str | None) -> Principal:
        if not key:
            raise AuthenticationFailed(INVALID_KEY)
        with self._db.read() as conn:
            principal = self._repo.principal_for_hash(conn, hash_key(key))
        if principal is None:
            raise AuthenticationFailed(INVALID_KEY)
        return principal

    def account(self, account_id: str) -> Account | None:
        with self._db.read() as conn:
            return self._repo.account_by_id(conn, account_id)
