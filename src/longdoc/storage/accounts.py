"""Accounts and API keys in the metadata store. Keys are kept only as sha256 hashes."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from longdoc.core.accounts import Account, Principal
from longdoc.storage.tables import accounts, api_keys


class AccountRepository:
    def insert_account(self, conn: Connection, account: Account) -> None:
        conn.execute(insert(accounts).values(**account.model_dump()))

    def account_by_name(self, conn: Connection, name: str) -> Account | None:
        row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
        return Account(**row._asdict()) if row else None

    def account_by_id(self, conn: Connection, account_id: str) -> Account | None:
        row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        return Account(**row._asdict()) if row else None

    def count_accounts(self, conn: Connection) -> int:
        return len(conn.execute(select(accounts.c.id).limit(1)).all())

    def insert_key(
        self, conn: Connection, *, key_id: str, account_id: str, key_hash: str, prefix: str, created_at: int
    ) -> None:
        conn.execute(
            insert(api_keys).values(
                id=key_id, account_id=account_id, key_hash=key_hash, prefix=prefix, created_at=created_at
            )
        )

    def principal_for_hash(self, conn: Connection, key_hash: str) -> Principal | None:
        row = conn.execute(
            select(api_keys.c.id, api_keys.c.account_id).where(
                api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None)
            )
        ).first()
        return Principal(account_id=row.account_id, key_id=row.id) if row else None
