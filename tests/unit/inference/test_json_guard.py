"""Validate-and-retry over a backend without constrained decoding."""

from __future__ import annotations

import json
import threading

import pytest

from longdoc.inference.base import ChatMessage, GenerationParams, StreamEnd, TokenDelta
from longdoc.inference.fake import FakeBackend
from longdoc.inference.json_guard import SchemaNotFollowed, SchemaValidatingBackend, parse_json_answer

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "pages": {"type": "integer", "minimum": 1}},
    "required": ["title", "pages"],
    "additionalProperties": False,
}
MESSAGES = [
    ChatMessage(role="system", content="You extract data."),
    ChatMessage(role="user", content="Title and page count?"),
]


def unconstrained(replies: list[str]) -> FakeBackend:
    return FakeBackend(replies, supports_json_schema=False)


def test_invalid_then_valid_json_is_retried_and_returned() -> None:
    inner = unconstrained(["Sure! {title: X}", '```json\n{"title": "X1 manual", "pages": 12}\n```'])
    guard = SchemaValidatingBackend(inner, retries=2)
    events = list(guard.stream(MESSAGES, GenerationParams(json_schema=SCHEMA)))
    text = "".join(e.text for e in events if isinstance(e, TokenDelta))
    assert json.loads(text) == {"title": "X1 manual", "pages": 12}
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    # both attempts used the model, so both count
    first_prompt, second_prompt = (inner.count_tokens(call[0]) for call in inner.calls)
    assert end.usage.prompt_tokens == first_prompt + second_prompt
    # the schema rode in the leading system message; the retry showed the model its mistake
    first_messages, first_params = inner.calls[0]
    assert first_messages[0].role == "system" and '"pages"' in first_messages[0].content
    assert first_params.json_schema is None and first_params.json_object
    retry_messages = inner.calls[1][0]
    assert retry_messages[-2].content == "Sure! {title: X}"
    assert "not valid JSON" in retry_messages[-1].content


def test_schema_violation_names_where() -> None:
    inner = unconstrained(['{"title": "X", "pages": 0}', '{"title": "X", "pages": 3}'])
    answer = SchemaValidatingBackend(inner).complete(MESSAGES, GenerationParams(json_schema=SCHEMA))
    assert json.loads(answer.text)["pages"] == 3
    assert "at pages:" in inner.calls[1][0][-1].content


def test_never_valid_is_a_clear_error_not_a_success() -> None:
    inner = unconstrained(['{"title": 5}'])
    guard = SchemaValidatingBackend(inner, retries=2)
    with pytest.raises(SchemaNotFollowed, match="after 3 attempts") as caught:
        guard.complete(MESSAGES, GenerationParams(json_schema=SCHEMA))
    assert "'pages' is a required property" in caught.value.message
    assert len(inner.calls) == 3


def test_plain_requests_pass_straight_through() -> None:
    inner = unconstrained(["just text"])
    answer = SchemaValidatingBackend(inner).complete(MESSAGES, GenerationParams())
    assert answer.text == "just text"
    assert inner.calls[0][0] == tuple(MESSAGES)


def test_json_object_mode_only_needs_json() -> None:
    inner = unconstrained(["not json", "[1, 2]"])
    answer = SchemaValidatingBackend(inner).complete(MESSAGES, GenerationParams(json_object=True))
    assert json.loads(answer.text) == [1, 2]


def test_cancel_during_attempt_ends_cancelled() -> None:
    cancel = threading.Event()
    cancel.set()
    guard = SchemaValidatingBackend(unconstrained(["{}"]))
    end = list(guard.stream(MESSAGES, GenerationParams(json_schema=SCHEMA), cancel))[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "cancelled"


def test_fenced_json_is_unwrapped() -> None:
    assert parse_json_answer('```json\n{"a": 1}\n```') == {"a": 1}
    assert parse_json_answer(' {"a": 1} ') == {"a": 1}
