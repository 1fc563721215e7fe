"""Liveness, readiness and metrics: the routes that need no key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from longdoc.api.auth import services_of


def build_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        services = services_of(request)
        store = await run_in_threadpool(services.db.ping)
        not_ready = services.models_not_ready()
        checks = {"store": store, "models": not not_ready}
        ready = all(checks.values())
        body: dict[str, object] = {"ready": ready, "checks": checks}
        if not_ready:
            body["models"] = not_ready  # each model that cannot answer, and why
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        registry = request.app.state.metrics.registry
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
