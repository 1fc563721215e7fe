"""HTTP routes of the Batch API (mounted under /v1 and /compatible-mode/v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from longdoc.api.auth import authenticated
from longdoc.api.limits import metered
from longdoc.api.openai.batches.protocol import BatchList, BatchObject, CreateBatchRequest
from longdoc.api.openai.batches.serving import BatchesServing
from longdoc.core.accounts import Principal

Caller = Annotated[Principal, Depends(authenticated)]


def serving(request: Request) -> BatchesServing:
    batches: BatchesServing = request.app.state.batches
    return batches


Serving = Annotated[BatchesServing, Depends(serving)]


def build_router() -> APIRouter:
    router = APIRouter(tags=["batches"])

    @router.post("/batches", response_model=BatchObject)
    async def create_batch(
        body: CreateBatchRequest, caller: Annotated[Principal, Depends(metered)], batches: Serving
    ) -> BatchObject:
        return await run_in_threadpool(batches.create, caller, body)

    @router.get("/batches", response_model=BatchList)
    async def list_batches(
        caller: Caller,
        batches: Serving,
        after: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> BatchList:
        return await run_in_threadpool(batches.list, caller, after=after, limit=limit)

    @router.get("/batches/{batch_id}", response_model=BatchObject)
    async def retrieve_batch(batch_id: str, caller: Caller, batches: Serving) -> BatchObject:
        return await run_in_threadpool(batches.retrieve, caller, batch_id)

    @router.post("/batches/{batch_id}/cancel", response_model=BatchObject)
    async def cancel_batch(batch_id: str, caller: Caller, batches: Serving) -> BatchObject:
        return await run_in_threadpool(batches.cancel, caller, batch_id)

    return router
