"""The embedded llama.cpp backend on the real 0.5B model: answers, constrained JSON, usage, cancel, queue."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from longdoc.core.errors import ModelUnavailable, TooLarge
from longdoc.inference.base import ChatMessage, GenerationParams, StreamEnd, TokenDelta
from longdoc.inference.embedded import LlamaCppBackend, llama_arguments

QUESTION = [
    ChatMessage(role="system", content="You are a helpful assistant."),
    ChatMessage(role="user", content="What is the capital of France? Answer in one word."),
]
STORY = [ChatMessage(role="user", content="Write a long story about a dragon and a lighthouse.")]
GREEDY = GenerationParams(temperature=0.0, max_tokens=16, seed=7)


@pytest.fixture(scope="module")
def backend(gguf_path: Path) -> Iterator[LlamaCppBackend]:
    model = LlamaCppBackend(gguf_path, n_ctx=4096, n_batch=256, max_waiting=0, max_wait_seconds=5)
    model.load()
    yield model
    model.close()


def test_short_answer_streams_with_exact_usage(backend: LlamaCppBackend) -> None:
    events = list(backend.stream(QUESTION, GREEDY))
    text = "".join(e.text for e in events if isinstance(e, TokenDelta))
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    assert "Paris" in text
    # the same numbers llama.cpp reports for a non-streamed call
    reference = backend._llm.create_chat_completion(
        messages=[m.model_dump() for m in QUESTION], **llama_arguments(GREEDY)
    )
    assert reference["choices"][0]["message"]["content"] == text
    assert end.usage.prompt_tokens == reference["usage"]["prompt_tokens"] == backend.count_tokens(QUESTION)
    assert end.usage.completion_tokens == reference["usage"]["completion_tokens"]


def test_max_tokens_ends_with_length(backend: LlamaCppBackend) -> None:
    answer = backend.complete(STORY, GenerationParams(temperature=0.0, max_tokens=8))
    assert (answer.finish_reason, answer.usage.completion_tokens) == ("length", 8)


def test_json_schema_output_is_constrained_and_valid(backend: LlamaCppBackend) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "country": {"type": "string"},
            "landmarks": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        },
        "required": ["city", "country", "landmarks"],
        "additionalProperties": False,
    }
    messages = [ChatMessage(role="user", content="Describe Paris as JSON with city, country and landmarks.")]
    answer = backend.complete(messages, GenerationParams(temperature=0.0, max_tokens=120, json_schema=schema))
    assert answer.finish_reason == "stop"
    value = json.loads(answer.text)
    jsonschema.validate(value, schema)
    assert backend.supports_json_schema


def test_cancel_stops_generation_and_frees_the_model(backend: LlamaCppBackend) -> None:
    cancel = threading.Event()
    pieces = 0
    end = None
    for event in backend.stream(STORY, GenerationParams(temperature=0.0, max_tokens=400), cancel):
        if isinstance(event, TokenDelta):
            pieces += 1
            if pieces == 5:
                cancel.set()
        else:
            end = event
    assert end is not None and end.finish_reason == "cancelled"
    assert 5 <= end.usage.completion_tokens <= 7
    assert backend.queue.waiting == 0
    started = time.monotonic()
    assert "Paris" in backend.complete(QUESTION, GREEDY).text  # the model is free at once
    assert time.monotonic() - started < 10


def test_cancel_during_a_long_prompt_stops_within_a_batch(backend: LlamaCppBackend) -> None:
    long_prompt = [ChatMessage(role="user", content="lighthouse " * 2000 + "\nSummarise.")]
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    events = list(backend.stream(long_prompt, GenerationParams(max_tokens=8), cancel))
    assert [type(e) for e in events] == [StreamEnd]
    assert events[0].finish_reason == "cancelled"
    # the prompt is ~2,000 tokens, eight batches; cancelling stops after the batch under way
    evaluated = backend._llm.n_tokens
    assert evaluated <= 2 * backend.n_batch < backend.count_tokens(long_prompt)
    assert time.monotonic() - started < 30


def test_busy_model_with_a_full_line_is_model_unavailable(backend: LlamaCppBackend) -> None:
    first = backend.stream(STORY, GenerationParams(temperature=0.0, max_tokens=200))
    assert isinstance(next(first), TokenDelta)  # holds the model now; max_waiting=0
    with pytest.raises(ModelUnavailable, match="busy") as caught:
        next(backend.stream(QUESTION, GREEDY))
    assert caught.value.retry_after is not None and caught.value.status == 503
    first.close()  # a closed stream gives the model back
    assert "Paris" in backend.complete(QUESTION, GREEDY).text


def test_prompt_over_the_context_is_too_large(backend: LlamaCppBackend) -> None:
    huge = [ChatMessage(role="user", content="lighthouse " * 5000)]
    with pytest.raises(TooLarge, match="context holds 4096"):
        next(backend.stream(huge, GREEDY))
