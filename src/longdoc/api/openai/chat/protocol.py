"""Wire models of OpenAI-compatible chat completions, as Qwen-Long accepts them.

They live in ``chat.openai_wire``, below the API, because batch lines carry the same requests and
answers; this module names them for the route.
"""

from __future__ import annotations

from longdoc.chat.openai_wire import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessageIn,
    ChatMessageOut,
    Choice,
    ChunkChoice,
    ContextOut,
    Delta,
    JsonSchemaSpec,
    PassageOut,
    PromptTokensDetails,
    ResponseFormat,
    StreamOptions,
    TextPart,
    UsageOut,
)

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ChatMessageIn",
    "ChatMessageOut",
    "Choice",
    "ChunkChoice",
    "ContextOut",
    "Delta",
    "JsonSchemaSpec",
    "PassageOut",
    "PromptTokensDetails",
    "ResponseFormat",
    "StreamOptions",
    "TextPart",
    "UsageOut",
]
