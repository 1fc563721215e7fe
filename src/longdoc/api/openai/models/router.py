"""``GET /models``: the model catalog's public names, each with its list price (extension)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from longdoc.api.auth import authenticated, services_of
from longdoc.inference.catalog import ModelEntry


def _model(entry: ModelEntry, created: int) -> dict[str, Any]:
    return {
        "id": entry.name,
        "object": "model",
        "created": created,
        "owned_by": "longdoc",
        # extension: what a million tokens cost, so clients (the playground) can price an answer
        "x_pricing": {
            "input_per_million": entry.price_input_per_million,
            "output_per_million": entry.price_output_per_million,
            "currency": entry.currency,
        },
    }


def build_router() -> APIRouter:
    router = APIRouter(tags=["models"], dependencies=[Depends(authenticated)])

    @router.get("/models")
    async def list_models(request: Request) -> dict[str, Any]:
        services = services_of(request)
        created = services.started_at
        return {"object": "list", "data": [_model(e, created) for e in services.catalog.list()]}

    @router.get("/models/{model}")
    async def retrieve_model(model: str, request: Request) -> dict[str, Any]:
        services = services_of(request)
        return _model(services.catalog.get(model), services.started_at)

    return router
