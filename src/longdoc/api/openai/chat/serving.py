"""Chat completions: wire request → ChatEngine → wire response (whole, or as SSE chunks)."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from longdoc.api.errors import openai_body
from longdoc.api.openai.chat.protocol import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessageOut,
    Choice,
    ChunkChoice,
    ContextOut,
    Delta,
    PassageOut,
    PromptTokensDetails,
    UsageOut,
)
from longdoc.api.streaming import ThreadedStream, cancel_on_disconnect
from longdoc.chat.conversation import Message
from longdoc.chat.engine import AnswerEnd, AnswerEvent, ChatEngine, ChatRequest, ContextReport, PreparedChat
from longdoc.core.accounts import Principal
from longdoc.core.errors import InvalidRequest, LongdocError
from longdoc.inference.base import GenerationParams, TokenDelta

_ROLES = {"developer": "system", "tool": "user"}


def to_domain(body: ChatCompletionRequest) -> ChatRequest:
    messages = [Message(_ROLES.get(m.role, m.role), m.text()) for m in body.messages]
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    fmt = body.response_format
    json_schema = None
    if fmt is not None and fmt.type == "json_schema":
        if fmt.json_schema is None or not fmt.json_schema.schema_:
            raise InvalidRequest("response_format json_schema needs a 'schema'", param="response_format")
        json_schema = fmt.json_schema.schema_
    params = GenerationParams(
        max_tokens=body.max_completion_tokens or body.max_tokens,
        temperature=body.temperature,
        top_p=body.top_p,
        top_k=body.top_k,
        seed=body.seed,
        stop=stop,
        repetition_penalty=body.repetition_penalty,
        json_schema=json_schema,
        json_object=fmt is not None and fmt.type == "json_object",
    )
    return ChatRequest(model=body.model, messages=messages, params=params)


def usage_of(end: AnswerEnd) -> UsageOut:
    return UsageOut(
        prompt_tokens=end.prompt_tokens,
        completion_tokens=end.completion_tokens,
        total_tokens=end.total_tokens,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=end.cached_tokens),
    )


def context_of(report: ContextReport) -> ContextOut:
    return ContextOut(
        plan=report.plan,
        passages=[
            PassageOut(
                file_id=p.file_id, document=p.document, page=p.page, start=p.start, end=p.end, score=p.score
            )
            for p in report.passages
        ],
    )


class ChatServing:
    def __init__(self, engine: ChatEngine) -> None:
        self._engine = engine

    async def start(
        self, principal: Principal, body: ChatCompletionRequest
    ) -> tuple[PreparedChat, ThreadedStream[AnswerEvent], AnswerEvent]:
        """Prepare and start generating; errors (limits, model busy) surface here, before any response."""
        request = to_domain(body)
        prepared = await run_in_threadpool(self._engine.prepare, principal.account_id, request)
        cancel = threading.Event()
        stream: ThreadedStream[AnswerEvent] = ThreadedStream(self._engine.stream(prepared, cancel), cancel)
        first = await stream.__anext__()
        return prepared, stream, first

    async def complete(
        self, request: Request, principal: Principal, body: ChatCompletionRequest
    ) -> ChatCompletion:
        _, stream, first = await self.start(principal, body)
        watcher = asyncio.create_task(cancel_on_disconnect(request, stream.cancel))
        try:
            pieces: list[str] = []
            event = first
            while not isinstance(event, AnswerEnd):
                assert isinstance(event, TokenDelta)
                pieces.append(event.text)
                event = await stream.__anext__()
        finally:
            watcher.cancel()
        return ChatCompletion(
            id=completion_id(),
            created=int(time.time()),
            model=body.model,
            choices=[
                Choice(message=ChatMessageOut(content="".join(pieces)), finish_reason=event.finish_reason)
            ],
            usage=usage_of(event),
            x_context=context_of(event.context),
        )

    async def stream(self, principal: Principal, body: ChatCompletionRequest) -> AsyncIterator[str]:
        _, stream, first = await self.start(principal, body)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return sse_chunks(body.model, stream, first, include_usage)


async def sse_chunks(
    model: str, stream: ThreadedStream[AnswerEvent], first: AnswerEvent, include_usage: bool
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
                assert isinstance(event, TokenDelta)
                if event.text:
                    yield chunk(Delta(content=event.text))
                event = await stream.__anext__()
        except LongdocError as exc:  # the response has started: report the error as an event
            yield f"data: {json.dumps(openai_body(exc))}\n\n"
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


def completion_id() -> str:
    return "chatcmpl-" + secrets.token_hex(16)
