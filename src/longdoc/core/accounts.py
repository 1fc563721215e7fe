"""Who is calling."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    created_at: int


class Principal(BaseModel):
    """An authenticated caller: the account and the key it used."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: str
    key_id: str
