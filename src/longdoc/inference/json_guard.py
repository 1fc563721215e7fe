"""JSON for backends that cannot constrain decoding: ask, validate, ask again, or fail clearly.

``SchemaValidatingBackend`` wraps any backend. For a request wanting JSON it shows the model the
schema, validates the answer (``jsonschema``), and on failure shows the model its answer and the
error, up to ``retries`` more times. Invalid JSON is never returned as success: after the last
attempt it raises ``SchemaNotFollowed``. A JSON answer is buffered until valid, so it streams as
one piece; usage adds up every attempt, since every attempt used the model.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from longdoc.core.errors import LongdocError
from longdoc.inference.base import (
    ChatMessage,
    Completion,
    GenerationParams,
    InferenceBackend,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    Usage,
)

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)


class SchemaNotFollowed(LongdocError):
    """The model kept answering JSON that fails the requested schema."""

    openai_code = "invalid_model_output"


def parse_json_answer(text: str) -> Any:
    """The JSON value in a model's answer (a Markdown code fence around it is tolerated)."""
    fenced = _FENCE.match(text)
    return json.loads(fenced.group(1) if fenced else text)


def schema_problem(text: str, schema: dict[str, Any] | None) -> tuple[Any, str | None]:
    """(value, None) when ``text`` is JSON valid against ``schema``; (None, why) when not."""
    import jsonschema  # lazy: only JSON requests to unconstrained backends pay for it

    try:
        value = parse_json_answer(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc})"
    if schema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(value), key=jsonschema.exceptions.relevance)[:3]
        if errors:
            return None, "; ".join(_describe(error) for error in errors)
    return value, None


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {where}: {error.message}"


class SchemaValidatingBackend(InferenceBackend):
    supports_json_schema = True

    def __init__(self, inner: InferenceBackend, *, retries: int = 2) -> None:
        self.inner = inner
        self.retries = retries
        self.name = inner.name
        self.context_window = inner.context_window
        self.supports_streaming = inner.supports_streaming
        self.prompt_budget_tokens = inner.prompt_budget_tokens
        self.throughput = inner.throughput

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return self.inner.count_tokens(messages)

    def self_check(self) -> None:
        self.inner.self_check()

    def readiness(self) -> str | None:
        return self.inner.readiness()

    def close(self) -> None:
        self.inner.close()

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        if not params.wants_json:
            yield from self.inner.stream(messages, params, cancel)
            return
        conversation = _with_instruction(messages, _instruction(params.json_schema))
        # the inner backend gets plain JSON mode: the schema rides in the instruction
        inner_params = params.model_copy(update={"json_schema": None, "json_object": True})
        prompt_tokens = completion_tokens = 0
        problem = ""
        for _attempt in range(self.retries + 1):
            answer: Completion = self.inner.complete(conversation, inner_params, cancel)
            prompt_tokens += answer.usage.prompt_tokens
            completion_tokens += answer.usage.completion_tokens
            usage = Usage(prompt_tokens, completion_tokens)
            if answer.finish_reason == "cancelled":
                yield StreamEnd("cancelled", usage)
                return
            value, why = schema_problem(answer.text, params.json_schema)
            if why is None:
                yield TokenDelta(json.dumps(value, ensure_ascii=False))
                yield StreamEnd("stop", usage)
                return
            problem = why if answer.finish_reason == "stop" else f"{why}; the answer was cut at max_tokens"
            conversation += [
                ChatMessage(role="assistant", content=answer.text),
                ChatMessage(
                    role="user",
                    content=f"That answer is not valid: {problem}. Reply with only the corrected JSON.",
                ),
            ]
        raise SchemaNotFollowed(
            f"the model did not produce JSON matching the requested schema after "
            f"{self.retries + 1} attempts; last problem: {problem}"
        )


def _instruction(schema: dict[str, Any] | None) -> str:
    if schema is None:
        return "Reply with one JSON object and nothing else."
    return (
        "Reply with one JSON value, and nothing else, that is valid against the JSON schema below. "
        "Write the data itself, not the schema.\nJSON schema: " + json.dumps(schema, ensure_ascii=False)
    )


def _with_instruction(messages: Sequence[ChatMessage], instruction: str) -> list[ChatMessage]:
    # into the leading system message: some chat templates reject a system message elsewhere
    if messages and messages[0].role == "system":
        first = ChatMessage(role="system", content=f"{messages[0].content}\n\n{instruction}")
        return [first, *messages[1:]]
    return [ChatMessage(role="system", content=instruction), *messages]
