"""The real 0.5B model in its supervised child process answers exactly as it does in process: the same
greedy text, the same exact usage and token counts, constrained JSON, and a cancel that stops it
mid-prompt."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from longdoc.config import InferenceSettings
from longdoc.inference.base import ChatMessage, GenerationParams, StreamEnd
from longdoc.inference.embedded import LlamaCppBackend
from longdoc.inference.registry import BackendRegistry
from longdoc.inference.supervised import SupervisedBackend

QUESTION = [
    ChatMessage(role="system", content="You are a helpful assistant."),
    ChatMessage(role="user", content="Name three rivers of Europe, one per line."),
]
GREEDY = GenerationParams(temperature=0.0, max_tokens=24, seed=7)


@pytest.fixture(scope="module")
def isolated(gguf_path: Path) -> Iterator[SupervisedBackend]:
    settings = InferenceSettings(
        backends={
            "embedded": {"kind": "llama_cpp", "model_path": str(gguf_path), "n_ctx": 4096, "n_batch": 256}
        }
    )
    backend = BackendRegistry().create(settings.backends["embedded"], settings)
    assert isinstance(backend, SupervisedBackend)
    backend.load()
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def in_process(gguf_path: Path) -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(gguf_path, n_ctx=4096, n_batch=256)
    backend.load()
    yield backend
    backend.close()


def test_same_answer_and_exact_usage_as_in_process(
    isolated: SupervisedBackend, in_process: LlamaCppBackend
) -> None:
    assert isolated.readiness() is None and isolated.name == in_process.name
    child = isolated.complete(QUESTION, GREEDY)
    local = in_process.complete(QUESTION, GREEDY)
    assert child == local
    assert child.usage.prompt_tokens == isolated.count_tokens(QUESTION) == in_process.count_tokens(QUESTION)


def test_json_schema_is_constrained_in_the_child(isolated: SupervisedBackend) -> None:
    schema = {
        "type": "object",
        "properties": {"river": {"type": "string"}, "length_km": {"type": "integer"}},
        "required": ["river", "length_km"],
        "additionalProperties": False,
    }
    messages = [ChatMessage(role="user", content="The Danube as JSON with its length in km.")]
    answer = isolated.complete(messages, GenerationParams(temperature=0.0, max_tokens=60, json_schema=schema))
    jsonschema.validate(json.loads(answer.text), schema)
    assert isolated.supports_json_schema


def test_cancel_stops_the_child_mid_prompt(isolated: SupervisedBackend) -> None:
    long_prompt = [ChatMessage(role="user", content="lighthouse " * 1800 + "\nSummarise.")]
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    events = list(isolated.stream(long_prompt, GenerationParams(max_tokens=8), cancel))
    assert len(events) == 1 and isinstance(events[0], StreamEnd) and events[0].finish_reason == "cancelled"
    # the prompt is ~3,600 tokens, about 20 s on 2 cores; the child stops after the batch under way
    assert time.monotonic() - started < 8
    assert isolated.complete(QUESTION, GenerationParams(max_tokens=2)).usage.completion_tokens == 2
