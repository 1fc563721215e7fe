"""HTTP route of DashScope text generation (mounted under /api/v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from longdoc.api.dashscope.generation.protocol import GenerationRequest, GenerationResponse
from longdoc.api.dashscope.generation.serving import GenerationServing
from longdoc.api.limits import metered
from longdoc.core.accounts import Principal

SSE_MEDIA_TYPE = "text/event-stream;charset=UTF-8"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def serving(request: Request) -> GenerationServing:
    generation: GenerationServing = request.app.state.generation
    return generation


def wants_stream(request: Request) -> bool:
    """The service streams when the headers ask (the SDK sends both); ``parameters.stream`` does not decide."""
    if request.headers.get("x-dashscope-sse", "").strip().lower() == "enable":
        return True
    return "text/event-stream" in request.headers.get("accept", "").lower()


def build_router() -> APIRouter:
    router = APIRouter(tags=["dashscope"])

    @router.post(
        "/services/aigc/text-generation/generation",
        response_model=GenerationResponse,
        response_model_exclude_none=True,
    )
    async def generation(
        body: GenerationRequest,
        request: Request,
        caller: Annotated[Principal, Depends(metered)],
        generation: Annotated[GenerationServing, Depends(serving)],
    ) -> GenerationResponse | StreamingResponse:
        if wants_stream(request):
            events = await generation.stream(request, caller, body)
            return StreamingResponse(events, media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)
        return await generation.complete(request, caller, body)

    return router
