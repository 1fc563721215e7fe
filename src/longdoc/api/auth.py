"""Bearer-key authentication, as a FastAPI dependency."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from longdoc.core.accounts import Principal
from longdoc.services import Services


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return key.strip()
    return None


async def authenticated(request: Request) -> Principal:
    """The caller's Principal; a missing or unknown key is AuthenticationFailed (401)."""
    principal = await run_in_threadpool(services_of(request).keys.authenticate, bearer_key(request))
    request.state.principal = principal
    return principal
