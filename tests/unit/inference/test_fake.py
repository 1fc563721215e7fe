"""The fake backend: deterministic replies, usage, stops, limits, cancellation, JSON."""

from __future__ import annotations

import json
import threading

import jsonschema
import pytest

from longdoc.inference.base import ChatMessage, GenerationParams, StreamEnd, TokenDelta
from longdoc.inference.fake import FakeBackend, fake_tokens

MESSAGES = [
    ChatMessage(role="system", content="You are terse."),
    ChatMessage(role="user", content="the quick brown fox jumps"),
]


def test_echo_streams_the_last_user_message_with_usage() -> None:
    backend = FakeBackend()
    events = list(backend.stream(MESSAGES, GenerationParams()))
    deltas = [e.text for e in events if isinstance(e, TokenDelta)]
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert "".join(deltas) == "the quick brown fox jumps"
    assert end.finish_reason == "stop"
    assert end.usage.completion_tokens == len(deltas) == 5
    assert end.usage.prompt_tokens == backend.count_tokens(MESSAGES)
    assert end.usage.total_tokens == end.usage.prompt_tokens + 5


def test_scripted_replies_cycle_in_order() -> None:
    backend = FakeBackend(["first answer", "second"])
    texts = [backend.complete(MESSAGES, GenerationParams()).text for _ in range(3)]
    assert texts == ["first answer", "second", "first answer"]


def test_max_tokens_cuts_with_length_and_stop_cuts_with_stop() -> None:
    backend = FakeBackend()
    cut = backend.complete(MESSAGES, GenerationParams(max_tokens=2))
    assert (cut.text, cut.finish_reason, cut.usage.completion_tokens) == ("the quick ", "length", 2)
    stopped = backend.complete(MESSAGES, GenerationParams(stop=("fox",)))
    assert (stopped.text, stopped.finish_reason) == ("the quick brown ", "stop")


def test_json_schema_answer_is_a_valid_instance() -> None:
    schema = {
        "type": "object",
        "properties": {
            "products": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/$defs/product"},
            },
            "kind": {"enum": ["manual", "datasheet"]},
        },
        "required": ["products", "kind"],
        "$defs": {
            "product": {
                "type": "object",
                "properties": {"name": {"type": "string", "minLength": 2}, "price": {"type": "number"}},
                "required": ["name", "price"],
            }
        },
    }
    answer = FakeBackend().complete(MESSAGES, GenerationParams(json_schema=schema))
    jsonschema.validate(json.loads(answer.text), schema)


def test_json_object_answer_parses() -> None:
    answer = FakeBackend().complete(MESSAGES, GenerationParams(json_object=True))
    assert json.loads(answer.text) == {"echo": "the quick brown fox jumps"}


def test_cancel_stops_between_tokens_and_reports_what_was_spent() -> None:
    backend = FakeBackend(["one two three four five six"])
    cancel = threading.Event()
    events = []
    for event in backend.stream(MESSAGES, GenerationParams(), cancel):
        events.append(event)
        if len(events) == 2:
            cancel.set()
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "cancelled"
    assert end.usage.completion_tokens == 2


def test_tokens_are_words_with_their_spacing() -> None:
    assert fake_tokens("a  b\nc") == ["a  ", "b\n", "c"]


def test_domain_models_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError):
        GenerationParams(frequency_penalty=1.0)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        ChatMessage(role="tool", content="x")  # type: ignore[arg-type]
