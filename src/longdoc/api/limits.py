"""Rate limits at the edge: a dependency for every route that runs a model."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from longdoc.api.auth import authenticated, services_of
from longdoc.core.accounts import Principal


async def metered(request: Request, caller: Annotated[Principal, Depends(authenticated)]) -> Principal:
    """The authenticated caller, counted against its key's and account's limits (429 past them)."""
    await run_in_threadpool(services_of(request).limiter.admit, caller)
    return caller
