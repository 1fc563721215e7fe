"""Wire models of DashScope text generation, as the ``dashscope`` SDK and the service speak it."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from longdoc.chat.openai_wire import ContextOut, DocumentExtensions, ResponseFormat, WireModel
from longdoc.core.documents import ParsingStrategy

log = logging.getLogger(__name__)


class ContentPart(WireModel):
    """``{"type":"text","text":…}`` or ``{"type":"doc_url","doc_url":[…],"file_parsing_strategy":…}``;
    DashScope's multimodal habit of omitting ``type`` (``{"text": …}``) is accepted too."""

    type: str | None = None
    text: str | None = None
    doc_url: str | list[str] | None = None
    file_parsing_strategy: ParsingStrategy = ParsingStrategy.AUTO

    @property
    def kind(self) -> str:
        if self.type:
            return self.type
        if self.doc_url is not None:
            return "doc_url"
        return "text" if self.text is not None else "unknown"

    @property
    def urls(self) -> list[str]:
        if self.doc_url is None:
            return []
        return [self.doc_url] if isinstance(self.doc_url, str) else list(self.doc_url)


class MessageIn(WireModel):
    role: Literal["system", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None


class GenerationInput(WireModel):
    messages: list[MessageIn] | None = None
    prompt: str | None = None

    @model_validator(mode="after")
    def _something_to_answer(self) -> GenerationInput:
        if not self.messages and not self.prompt:
            raise ValueError("input needs 'messages' or 'prompt'")
        return self


class Parameters(WireModel, DocumentExtensions):
    result_format: Literal["text", "message"] = "text"
    incremental_output: bool = False
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    seed: int | None = Field(default=None, ge=0)
    stop: str | list[str] | None = None
    repetition_penalty: float | None = Field(default=None, gt=0)
    response_format: ResponseFormat | None = None
    # Streaming is decided by the headers (X-DashScope-SSE / Accept), as the service does.
    stream: bool | None = None


class GenerationRequest(WireModel):
    model: str
    input: GenerationInput
    parameters: Parameters = Field(default_factory=Parameters)


# -- responses


class PromptTokensDetails(BaseModel):
    cached_tokens: int = 0


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails = Field(default_factory=PromptTokensDetails)


class MessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChoiceOut(BaseModel):
    finish_reason: str  # "null" while streaming, then stop or length
    message: MessageOut


class MessageOutput(BaseModel):
    choices: list[ChoiceOut]


class TextOutput(BaseModel):
    text: str
    finish_reason: str


class GenerationResponse(BaseModel):
    output: MessageOutput | TextOutput
    usage: UsageOut
    request_id: str
    x_context: ContextOut | None = None
