"""A deterministic backend for logic tests: scripted replies, or an echo of the last user message.

A "token" here is a word with its trailing space, so counts are predictable by eye. Asked for a
JSON schema (with no script), it answers the smallest valid instance, as a constrained decoder
would; asked for a JSON object, it answers ``{"echo": <last user message>}``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence

from longdoc.inference.base import (
    ChatMessage,
    FinishReason,
    GenerationParams,
    InferenceBackend,
    StreamEnd,
    StreamEvent,
    Throughput,
    TokenDelta,
    Usage,
)
from longdoc.inference.schema_instance import minimal_instance

_TOKEN = re.compile(r"\s*\S+\s*|\s+")
MESSAGE_OVERHEAD_TOKENS = 4  # like ChatML's role markers


def fake_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


class FakeBackend(InferenceBackend):
    name = "fake"
    supports_streaming = True
    # it answers at once: no plan is limited by its speed unless settings or a test declare one
    throughput = Throughput(prompt_tokens_per_second=1_000_000.0, generate_tokens_per_second=1_000_000.0)

    def __init__(
        self,
        replies: Sequence[str] = (),
        *,
        context_window: int = 32_768,
        supports_json_schema: bool = True,
        seconds_per_token: float = 0.0,
    ) -> None:
        self.context_window = context_window
        self.supports_json_schema = supports_json_schema
        self.seconds_per_token = seconds_per_token
        self._script = itertools.cycle(replies) if replies else None
        self._script_lock = threading.Lock()
        self.calls: list[tuple[tuple[ChatMessage, ...], GenerationParams]] = []

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(len(fake_tokens(m.content)) + MESSAGE_OVERHEAD_TOKENS for m in messages)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        self.calls.append((tuple(messages), params))
        prompt_tokens = self.count_tokens(messages)
        text = self._reply(messages, params)
        finish: FinishReason = "stop"
        for stop in params.stop:
            if stop and stop in text:
                text = text[: text.index(stop)]
        pieces = fake_tokens(text)
        if params.max_tokens is not None and len(pieces) > params.max_tokens:
            pieces, finish = pieces[: params.max_tokens], "length"
        sent = 0
        for piece in pieces:
            if cancel is not None and cancel.is_set():
                yield StreamEnd("cancelled", Usage(prompt_tokens, sent))
                return
            if self.seconds_per_token:
                time.sleep(self.seconds_per_token)
            sent += 1
            yield TokenDelta(piece)
        yield StreamEnd(finish, Usage(prompt_tokens, sent))

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        if self._script is not None:
            with self._script_lock:
                return next(self._script)
        last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
        if params.json_schema is not None:
            return json.dumps(minimal_instance(params.json_schema), ensure_ascii=False)
        if params.json_object:
            return json.dumps({"echo": last_user}, ensure_ascii=False)
        return last_user
