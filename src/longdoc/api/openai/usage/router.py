"""``GET /usage`` (extension; mounted under /v1 and /compatible-mode/v1)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from longdoc.api.auth import authenticated
from longdoc.api.openai.usage.protocol import UsageReport
from longdoc.api.openai.usage.serving import UsageServing
from longdoc.core.accounts import Principal


def serving(request: Request) -> UsageServing:
    usage: UsageServing = request.app.state.usage
    return usage


def build_router() -> APIRouter:
    router = APIRouter(tags=["usage"])

    @router.get("/usage", response_model=UsageReport)
    async def usage_report(
        caller: Annotated[Principal, Depends(authenticated)],
        usage: Annotated[UsageServing, Depends(serving)],
        start: str | None = None,
        end: str | None = None,
        group_by: Literal["model", "day"] = "model",
    ) -> UsageReport:
        """The caller's account's usage and cost from ``start`` to ``end`` (unix seconds or ISO dates)."""
        return await run_in_threadpool(usage.report, caller, start=start, end=end, group_by=group_by)

    return router
