"""A model that loops inside one field is stopped, and the fields it wrote before are kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from longdoc.inference.base import ChatMessage, GenerationParams, StreamEvent, TokenDelta
from longdoc.inference.fake import FakeBackend
from support.fakes import extracted

PRODUCT = "Product sheet. Tower Fan, price 49.00 dollars. A quiet fan for bedrooms."


class LoopingFake(FakeBackend):
    """Repeats one phrase in the summary until it is stopped; counts the pieces it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        return '{"name": "Tower Fan", "price": "49.00", "summary": "' + "a quiet fan, " * 2_000 + '"}'

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: threading.Event | None = None
    ) -> Iterator[StreamEvent]:
        for event in super().stream(messages, params, cancel):
            self.sent += isinstance(event, TokenDelta)
            yield event


def test_a_field_the_model_loops_in_is_left_out_and_the_model_stopped(
    tmp_path: Path, database_url: str
) -> None:
    model = LoopingFake()
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "price": {"type": "number"},
            "summary": {"type": "string"},
        },
    }
    response_format = {"type": "json_schema", "json_schema": {"name": "product", "schema": schema}}
    answer = extracted(model, tmp_path, database_url, PRODUCT, "Extract the product.", response_format)
    assert answer["name"] == "Tower Fan" and answer["price"] == 49.0
    assert answer.get("summary") is None
    assert model.sent < 200  # of the 1,200 tokens a part may write
