"""DashScope generation: wire request → doc_urls fetched → ChatEngine → wire response or SSE events."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from longdoc.accounts.ledger import Billing
from longdoc.api.dashscope.generation.protocol import (
    ChoiceOut,
    GenerationRequest,
    GenerationResponse,
    MessageOut,
    MessageOutput,
    PromptTokensDetails,
    TextOutput,
    UsageOut,
)
from longdoc.api.errors import dashscope_body, reported
from longdoc.api.streaming import ThreadedStream, read_answer
from longdoc.chat.conversation import Message
from longdoc.chat.engine import (
    AnswerEnd,
    AnswerEvent,
    ChatEngine,
    ChatRequest,
    PreparedChat,
    Progress,
)
from longdoc.chat.openai_wire import ContextOut, context_of, stop_sequences
from longdoc.core.accounts import Principal
from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import InvalidRequest
from longdoc.documents.ready import ReadyDocument
from longdoc.documents.remote import RemoteDocuments, check_count
from longdoc.inference.base import GenerationParams
from longdoc.inference.catalog import Catalog

_ROLES = {"tool": "user"}
UNFINISHED = "null"  # DashScope's finish_reason while a stream goes on: the string, not JSON null

DocUrl = tuple[str, ParsingStrategy]


def attachment_key(url: str, strategy: ParsingStrategy) -> str:
    return f"{strategy.value} {url}"


def to_domain(body: GenerationRequest) -> tuple[ChatRequest, list[DocUrl]]:
    """The chat request, and the doc_urls to fetch (each once, in order of appearance)."""
    messages: list[Message] = []
    wanted: list[DocUrl] = []
    listed = 0
    for message in body.input.messages or []:
        role = _ROLES.get(message.role, message.role)
        if message.content is None or isinstance(message.content, str):
            messages.append(Message(role, message.content or ""))
            continue
        texts: list[str] = []
        keys: list[str] = []
        for part in message.content:
            if part.kind == "text":
                texts.append(part.text or "")
            elif part.kind == "doc_url":
                if not part.urls:
                    raise InvalidRequest("a doc_url part needs at least one URL", param="doc_url")
                for raw in part.urls:
                    url = raw.strip()
                    listed += 1
                    keys.append(attachment_key(url, part.file_parsing_strategy))
                    if (url, part.file_parsing_strategy) not in wanted:
                        wanted.append((url, part.file_parsing_strategy))
            else:
                raise InvalidRequest(
                    f"content part type '{part.kind}' is not supported here; use 'text' or 'doc_url'",
                    param="content",
                )
        messages.append(Message(role, "\n".join(texts), attachments=tuple(dict.fromkeys(keys))))
    if body.input.prompt:
        messages.append(Message("user", body.input.prompt))
    check_count(listed)
    strategy = body.parameters.x_context_strategy or "auto"
    request = ChatRequest(
        model=body.model,
        messages=messages,
        params=params_of(body),
        strategy=strategy,
        extraction=body.parameters.extraction_options(),
    )
    return request, wanted


def params_of(body: GenerationRequest) -> GenerationParams:
    p = body.parameters
    return GenerationParams(
        max_tokens=p.max_tokens,
        temperature=p.temperature,
        top_p=p.top_p,
        top_k=p.top_k,
        seed=p.seed,
        stop=stop_sequences(p.stop),
        repetition_penalty=p.repetition_penalty,
        **(p.response_format.constraints() if p.response_format else {}),
    )


def output_of(body: GenerationRequest, text: str, finish_reason: str) -> MessageOutput | TextOutput:
    if body.parameters.result_format == "message":
        return MessageOutput(
            choices=[ChoiceOut(finish_reason=finish_reason, message=MessageOut(content=text))]
        )
    return TextOutput(text=text, finish_reason=finish_reason)


def usage_of(input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> UsageOut:
    return UsageOut(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=cached_tokens),
    )


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def sse_event(event_id: int, data: str, *, kind: str = "result", status: int = 200) -> str:
    """One event, framed exactly as the service frames it."""
    return f"id:{event_id}\nevent:{kind}\n:HTTP_STATUS/{status}\ndata:{data}\n\n"


class GenerationServing:
    def __init__(self, engine: ChatEngine, remote: RemoteDocuments, catalog: Catalog) -> None:
        self._engine = engine
        self._remote = remote
        self._catalog = catalog

    async def prepare(self, principal: Principal, body: GenerationRequest) -> PreparedChat:
        """Every check and every download before a byte of the answer: errors keep their status."""
        self._catalog.get(body.model)  # an unknown model fails before any URL is fetched
        request, wanted = to_domain(body)
        attached: dict[str, ReadyDocument] = {}
        if wanted:
            fetched = await run_in_threadpool(self._remote.get_many, wanted)
            for (url, strategy), remote in zip(wanted, fetched, strict=True):
                attached[attachment_key(url, strategy)] = ReadyDocument(
                    0,
                    remote.name,
                    None,
                    remote.document,
                    remote.tokens,
                    url=url,
                    index_loader=partial(self._remote.index, remote),
                )
        billing = Billing(principal.account_id, principal.key_id)
        return await run_in_threadpool(
            self._engine.prepare, principal.account_id, request, attached, billing=billing
        )

    async def start(
        self, principal: Principal, body: GenerationRequest, *, progress: bool = False
    ) -> tuple[PreparedChat, ThreadedStream[AnswerEvent | Progress], AnswerEvent | Progress]:
        prepared = await self.prepare(principal, body)
        cancel = threading.Event()
        stream: ThreadedStream[AnswerEvent | Progress] = ThreadedStream(
            self._engine.stream(prepared, cancel, progress=progress), cancel
        )
        first = await stream.__anext__()  # a busy model fails here, before the response starts
        return prepared, stream, first

    async def complete(
        self, request: Request, principal: Principal, body: GenerationRequest
    ) -> GenerationResponse:
        _, stream, first = await self.start(principal, body)
        text, event = await read_answer(request, stream, first)
        return GenerationResponse(
            output=output_of(body, text, event.finish_reason),
            usage=usage_of(event.prompt_tokens, event.completion_tokens, event.cached_tokens),
            request_id=request_id_of(request),
            x_context=context_of(event.context),
        )

    async def stream(
        self, request: Request, principal: Principal, body: GenerationRequest
    ) -> AsyncIterator[str]:
        prepared, stream, first = await self.start(principal, body, progress=True)
        return sse_events(body, request_id_of(request), prepared.billed_prompt_tokens, stream, first)


async def sse_events(
    body: GenerationRequest,
    request_id: str,
    input_tokens: int,
    stream: ThreadedStream[AnswerEvent | Progress],
    first: AnswerEvent | Progress,
) -> AsyncIterator[str]:
    """Events of one answer: new text (or all text so far) with finish_reason "null" and the usage
    so far, then the last event with the finish reason; a failure after the start is an error event."""
    incremental = body.parameters.incremental_output
    event_id = 0
    text = ""
    output_tokens = 0

    def result(piece: str, finish: str, usage: UsageOut, context: ContextOut | None = None) -> str:
        nonlocal event_id
        event_id += 1
        out = GenerationResponse(
            output=output_of(body, piece if incremental else text, finish),
            usage=usage,
            request_id=request_id,
            x_context=context,
        )
        return sse_event(event_id, out.model_dump_json(exclude_none=True))

    try:
        event = first
        try:
            while not isinstance(event, AnswerEnd):
                if isinstance(event, Progress):  # reading a long document part by part: keep the line alive
                    yield f": progress {event.done}/{event.total}\n\n"
                elif event.text:
                    text += event.text
                    output_tokens += 1  # backends send one token per delta; the last event is exact
                    yield result(event.text, UNFINISHED, usage_of(input_tokens, output_tokens))
                event = await stream.__anext__()
        except Exception as exc:  # the response has started: report the error as an event
            error = reported(exc, "a generation stream")
            event_id += 1
            yield sse_event(
                event_id,
                json.dumps(dashscope_body(error, request_id), ensure_ascii=False),
                kind="error",
                status=error.status,
            )
            return
        if event.finish_reason == "cancelled":
            return
        usage = usage_of(event.prompt_tokens, event.completion_tokens, event.cached_tokens)
        yield result("", event.finish_reason, usage, context_of(event.context))
    finally:
        stream.cancel.set()  # a client that went away stops the model between tokens
