"""``GET /models``: the model catalog's public names."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from longdoc.api.auth import authenticated, services_of


def _model(name: str, created: int) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": created, "owned_by": "longdoc"}


def build_router() -> APIRouter:
    router = APIRouter(tags=["models"], dependencies=[Depends(authenticated)])

    @router.get("/models")
    async def list_models(request: Request) -> dict[str, Any]:
        services = services_of(request)
        created = services.started_at
        return {"object": "list", "data": [_model(e.name, created) for e in services.catalog.list()]}

    @router.get("/models/{model}")
    async def retrieve_model(model: str, request: Request) -> dict[str, Any]:
        services = services_of(request)
        return _model(services.catalog.get(model).name, services.started_at)

    return router
