"""HTTP route of chat completions (mounted under /v1 and /compatible-mode/v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from longdoc.api.limits import metered
from longdoc.api.openai.chat.protocol import ChatCompletion, ChatCompletionRequest
from longdoc.api.openai.chat.serving import ChatServing
from longdoc.core.accounts import Principal

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def serving(request: Request) -> ChatServing:
    chat: ChatServing = request.app.state.chat
    return chat


def build_router() -> APIRouter:
    router = APIRouter(tags=["chat"])

    @router.post("/chat/completions", response_model=ChatCompletion)
    async def create_chat_completion(
        body: ChatCompletionRequest,
        request: Request,
        caller: Annotated[Principal, Depends(metered)],
        chat: Annotated[ChatServing, Depends(serving)],
    ) -> ChatCompletion | StreamingResponse:
        if body.stream:
            chunks = await chat.stream(caller, body)
            return StreamingResponse(chunks, media_type="text/event-stream", headers=SSE_HEADERS)
        return await chat.complete(request, caller, body)

    return router
