"""OpenAI chat completions on the wire, as Qwen-Long accepts and answers them.

The real-time route (``api.openai.chat``) and batch lines (``batches``), whose JSONL carries the
same requests and answers, share these models and conversions, so a batch answer is exactly the
body the route would have returned.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from longdoc.chat.conversation import Message
from longdoc.chat.engine import AnswerEnd, ChatRequest, ContextReport
from longdoc.core.errors import InvalidRequest, LongdocError
from longdoc.core.extraction import ExtractionOptions, parse_examples
from longdoc.inference.base import GenerationParams

log = logging.getLogger(__name__)


class WireModel(BaseModel):
    """Base of request models in both protocols: clients send fields we do not know (enable_search,
    user_agent…); accept them and note them in the log."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="after")
    def _log_extras(self) -> WireModel:
        if self.model_extra:
            log.debug("%s: ignoring fields %s", type(self).__name__, sorted(self.model_extra))
        return self


class TextPart(WireModel):
    type: str
    text: str | None = None


class ChatMessageIn(WireModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[TextPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content if part.type == "text")


class JsonSchemaSpec(WireModel):
    name: str = "response"
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")
    strict: bool | None = None
    description: str | None = None


class ResponseFormat(WireModel):
    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: JsonSchemaSpec | None = None

    def constraints(self) -> dict[str, Any]:
        """The GenerationParams fields this format asks for."""
        if self.type == "json_schema":
            if self.json_schema is None or not self.json_schema.schema_:
                raise InvalidRequest("response_format json_schema needs a 'schema'", param="response_format")
            return {"json_schema": self.json_schema.schema_}
        return {"json_object": self.type == "json_object"}


def stop_sequences(stop: str | list[str] | None) -> tuple[str, ...]:
    return (stop,) if isinstance(stop, str) else tuple(stop or ())


class StreamOptions(WireModel):
    include_usage: bool = False


class DocumentExtensions(BaseModel):
    """Request fields longdoc adds to both protocols (sent with the SDKs' ``extra_body``)."""

    x_context_strategy: Literal["auto", "full", "retrieve", "map_reduce"] | None = Field(
        default=None,
        description="Extension: how documents reach the model; empty means auto (longdoc chooses).",
    )
    x_grounding: bool = Field(
        default=False,
        description="Extension: in an extraction, every extracted item carries `_source` spans of the text.",
    )
    x_dedupe_keys: list[str] | None = Field(
        default=None,
        description="Extension: fields that identify an extracted item (merging drops repeats); empty: inferred.",
    )
    x_extraction_profile: str | None = Field(
        default=None,
        description="Extension: an opt-in set of domain rules for extraction (e.g. `contracts`); "
        "empty: the domain-neutral core only.",
    )
    x_extraction_examples: list[Any] | None = Field(
        default=None,
        description='Extension: few-shot examples for extraction, `[{"text": <a short document>, '
        '"output": <the JSON the schema wants for it>}]` (at most 8); every part\'s prompt shows them '
        "before the document.",
    )

    def extraction_options(self) -> ExtractionOptions:
        """What only an extraction reads; malformed examples are InvalidRequest, extraction or not."""
        return ExtractionOptions(
            grounding=self.x_grounding,
            dedupe_keys=tuple(self.x_dedupe_keys or ()),
            profile=self.x_extraction_profile,
            examples=parse_examples(self.x_extraction_examples),
        )


class ChatCompletionRequest(WireModel, DocumentExtensions):
    model: str
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    seed: int | None = None
    stop: str | list[str] | None = None
    repetition_penalty: float | None = Field(default=None, gt=0)
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    n: int | None = Field(default=None, ge=1, le=1)
    response_format: ResponseFormat | None = None


class ChatMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ChatMessageOut
    finish_reason: str
    logprobs: None = None


class PromptTokensDetails(BaseModel):
    cached_tokens: int = 0


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails = Field(default_factory=PromptTokensDetails)


class PassageOut(BaseModel):
    file_id: str | None
    document: str
    page: int | None
    start: int
    end: int
    score: float | None = None


class FailedPartOut(BaseModel):
    part: int
    file_id: str | None
    document: str
    page: int | None
    start: int
    end: int
    reason: str


class ContextOut(BaseModel):
    """Extension: how the documents were fitted to the model, and what it read."""

    plan: str
    passages: list[PassageOut]
    fallback: str | None = None  # why the plan is not the one chosen or asked for
    failed_parts: list[FailedPartOut] = Field(default_factory=list)  # parts read without a usable answer


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: UsageOut
    x_context: ContextOut | None = None


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: str | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: UsageOut | None = None
    x_context: ContextOut | None = None


_ROLES = {"developer": "system", "tool": "user"}


def parse_request(data: Any) -> ChatCompletionRequest:
    """A request body from JSON data; a malformed one is InvalidRequest naming the first bad field."""
    try:
        return ChatCompletionRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(part) for part in first.get("loc", ())) or None
        raise InvalidRequest(f"{param}: {first['msg']}" if param else first["msg"], param=param) from None


def to_domain(body: ChatCompletionRequest) -> ChatRequest:
    messages = [Message(_ROLES.get(m.role, m.role), m.text()) for m in body.messages]
    params = GenerationParams(
        max_tokens=body.max_completion_tokens or body.max_tokens,
        temperature=body.temperature,
        top_p=body.top_p,
        top_k=body.top_k,
        seed=body.seed,
        stop=stop_sequences(body.stop),
        repetition_penalty=body.repetition_penalty,
        **(body.response_format.constraints() if body.response_format else {}),
    )
    return ChatRequest(
        model=body.model,
        messages=messages,
        params=params,
        strategy=body.x_context_strategy or "auto",
        extraction=body.extraction_options(),
    )


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
        fallback=report.fallback,
        passages=[
            PassageOut(
                file_id=p.file_id, document=p.document, page=p.page, start=p.start, end=p.end, score=p.score
            )
            for p in report.passages
        ],
        failed_parts=[
            FailedPartOut(
                part=f.part,
                file_id=f.passage.file_id,
                document=f.passage.document,
                page=f.passage.page,
                start=f.passage.start,
                end=f.passage.end,
                reason=f.reason,
            )
            for f in report.failed_parts
        ],
    )


def completion(model: str, text: str, end: AnswerEnd) -> ChatCompletion:
    """The whole answer as a ``chat.completion`` object."""
    return ChatCompletion(
        id=completion_id(),
        created=int(time.time()),
        model=model,
        choices=[Choice(message=ChatMessageOut(content=text), finish_reason=end.finish_reason)],
        usage=usage_of(end),
        x_context=context_of(end.context),
    )


def error_body(error: LongdocError) -> dict[str, Any]:
    """OpenAI's error envelope."""
    return {
        "error": {
            "message": error.message,
            "type": error.openai_type,
            "param": error.param,
            "code": error.openai_code,
        }
    }


def completion_id() -> str:
    return "chatcmpl-" + secrets.token_hex(16)
