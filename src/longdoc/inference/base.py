"""What every model backend speaks: messages in, a stream of text pieces and one final event out.

A backend is a small class with capability flags (``supports_json_schema``, ``supports_streaming``,
``context_window``, ``name``), its prompt budget and throughput (what the context engine plans
with), and three methods. ``stream`` is a plain synchronous iterator: the API
runs it in a worker thread and sets ``cancel`` when the client goes away; a backend checks it
between tokens and stops, ending with ``finish_reason="cancelled"`` so the tokens spent can still be
recorded. Errors (model busy, upstream down) are raised by the first ``next()``, before any event.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FinishReason = Literal["stop", "length", "cancelled"]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class GenerationParams(BaseModel):
    """Sampling and output controls; ``None`` leaves a choice to the backend's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    top_k: int | None = Field(default=None, ge=0)
    seed: int | None = None
    stop: tuple[str, ...] = ()
    repetition_penalty: float | None = Field(default=None, gt=0.0)
    json_schema: dict[str, Any] | None = None
    json_object: bool = False

    @property
    def wants_json(self) -> bool:
        return self.json_object or self.json_schema is not None


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class TokenDelta:
    """A piece of generated text (one or a few tokens)."""

    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The last event of every stream."""

    finish_reason: FinishReason
    usage: Usage


StreamEvent = TokenDelta | StreamEnd


@dataclass(frozen=True, slots=True)
class Throughput:
    """How fast a backend reads and writes, and how many requests it serves at once: what the
    context engine estimates a plan's cost with (reading a 10M-token file piece by piece is
    minutes on a GPU cluster and days on a laptop CPU)."""

    prompt_tokens_per_second: float = 1_000.0
    generate_tokens_per_second: float = 50.0
    parallel_requests: int = 1

    def seconds(self, prompt_tokens: int, output_tokens: int) -> float:
        """Time of one request reading ``prompt_tokens`` and writing ``output_tokens``."""
        return prompt_tokens / self.prompt_tokens_per_second + output_tokens / self.generate_tokens_per_second


def default_prompt_budget(context_window: int) -> int:
    """Tokens of prompt worth filling: the window less room to answer (4,096, or a quarter of a small window)."""
    return context_window - min(4_096, context_window // 4)


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    finish_reason: FinishReason
    usage: Usage


def collect(events: Iterable[StreamEvent]) -> Completion:
    """Join a stream into one completion."""
    pieces: list[str] = []
    for event in events:
        if isinstance(event, TokenDelta):
            pieces.append(event.text)
        else:
            return Completion("".join(pieces), event.finish_reason, event.usage)
    raise RuntimeError("backend stream ended without a StreamEnd event")


class InferenceBackend(ABC):
    """One model behind one interface. Subclasses set the flags and implement ``stream``."""

    name: str = "backend"
    supports_json_schema: bool = False
    supports_streaming: bool = True
    context_window: int = 0
    prompt_budget_tokens: int | None = None  # set from settings; None: ``default_prompt_budget``
    throughput: Throughput = Throughput()

    @property
    def prompt_budget(self) -> int:
        """Tokens of prompt (documents, conversation, instructions) the context engine fills."""
        if self.prompt_budget_tokens:
            return min(self.prompt_budget_tokens, self.context_window)
        return default_prompt_budget(self.context_window)

    @abstractmethod
    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        """Text pieces as they are generated, then one ``StreamEnd``."""

    def complete(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Completion:
        return collect(self.stream(messages, params, cancel))

    @abstractmethod
    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Prompt tokens these messages take, chat template included."""

    def self_check(self) -> None:  # noqa: B027 - most backends have nothing to load
        """Load the model and prove it answers; raise, or crash, if it cannot."""

    def readiness(self) -> str | None:
        """None when the backend can answer now; otherwise why not, in words for /readyz."""
        return None

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release the model or connections; the backend is unusable afterwards."""
