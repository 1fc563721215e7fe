"""Chat completions: wire request → ChatEngine → wire response (whole, or as SSE chunks)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from longdoc.accounts.ledger import Billing
from longdoc.api.errors import openai_body, reported
from longdoc.api.openai.chat.protocol import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChunkChoice,
    ContextOut,
    Delta,
)
from longdoc.api.streaming import ThreadedStream, read_answer
from longdoc.chat.engine import AnswerEnd, AnswerEvent, ChatEngine, PreparedChat, Progress
from longdoc.chat.openai_wire import completion, completion_id, context_of, to_domain, usage_of
from longdoc.core.accounts import Principal
from longdoc.inference.base import TokenDelta

__all__ = ["ChatServing", "completion_id", "context_of", "sse_chunks", "to_domain", "usage_of"]


class ChatServing:
    def __init__(self, engine: ChatEngine) -> None:
        self._engine = engine

    async def start(
        self, principal: Principal, body: ChatCompletionRequest, *, progress: bool = False
    ) -> tuple[PreparedChat, ThreadedStream[AnswerEvent | Progress], AnswerEvent | Progress]:
        """Prepare and start generating; errors (limits, model busy) surface here, before any response."""
        request = to_domain(body)
        billing = Billing(principal.account_id, principal.key_id)
        prepared = await run_in_threadpool(
            self._engine.prepare, principal.account_id, request, billing=billing
        )
        cancel = threading.Event()
        stream: ThreadedStream[AnswerEvent | Progress] = ThreadedStream(
            self._engine.stream(prepared, cancel, progress=progress), cancel
        )
        first = await stream.__anext__()
        return prepared, stream, first

    async def complete(
        self, request: Request, principal: Principal, body: ChatCompletionRequest
    ) -> ChatCompletion:
        _, stream, first = await self.start(principal, body)
        text, end = await read_answer(request, stream, first)
        return completion(body.model, text, end)

    async def stream(self, principal: Principal, body: ChatCompletionRequest) -> AsyncIterator[str]:
        _, stream, first = await self.start(principal, body, progress=True)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return sse_chunks(body.model, stream, first, include_usage)


async def sse_chunks(
    model: str,
    stream: ThreadedStream[AnswerEvent | Progress],
    first: AnswerEvent | Progress,
    include_usage: bool,
) -> AsyncIterator[str]:
    chunk_id, created = completion_id(), int(time.time())

    def chunk(delta: Delta, finish: str | None = None, context: ContextOut | None = None) -> str:
        body = ChatCompletionChunk(
            id=chunk_id,
            created=created,
            model=model,
            choices=[ChunkChoice(delta=delta, finish_reason=finish)],
            x_context=context,
        )
        return f"data: {body.model_dump_json(exclude_none=False)}\n\n"

    try:
        yield chunk(Delta(role="assistant", content=""))
        event = first
        try:
            while not isinstance(event, AnswerEnd):
                if isinstance(event, Progress):  # reading a long document part by part: keep the line alive
                    yield f": progress {event.done}/{event.total}\n\n"
                else:
                    assert isinstance(event, TokenDelta)
                    if event.text:
                        yield chunk(Delta(content=event.text))
                event = await stream.__anext__()
        except Exception as exc:  # the response has started: an error chunk, which the SDKs raise
            yield f"data: {json.dumps(openai_body(reported(exc, 'a chat completion stream')))}\n\n"
            return
        if event.finish_reason == "cancelled":
            return
        yield chunk(Delta(), event.finish_reason, context=context_of(event.context))
        if include_usage:
            usage = ChatCompletionChunk(
                id=chunk_id, created=created, model=model, choices=[], usage=usage_of(event)
            )
            yield f"data: {usage.model_dump_json()}\n\n"
        yield "data: [DONE]\n\n"
    finally:
        stream.cancel.set()  # a client that went away stops the model between tokens
