"""Nothing the documents list is lost to a small model's habits: one that loops inside a field is
stopped and keeps the fields it wrote before; one that lists only the first rows of each part of a
long table gets every row back."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from longdoc.inference.base import ChatMessage, GenerationParams, StreamEvent, TokenDelta
from longdoc.inference.fake import FakeBackend
from support.fakes import extracted

PRODUCT = "Product sheet. Tower Fan, price 49.00 dollars. A quiet fan for bedrooms."


class CountingFake(FakeBackend):
    """Answers ``reply``; counts the pieces it sent."""

    def __init__(self, reply: str) -> None:
        super().__init__()
        self.reply = reply
        self.sent = 0

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        return self.reply

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: threading.Event | None = None
    ) -> Iterator[StreamEvent]:
        for event in super().stream(messages, params, cancel):
            self.sent += isinstance(event, TokenDelta)
            yield event


def test_a_field_the_model_loops_in_is_left_out_and_the_model_stopped(
    tmp_path: Path, database_url: str
) -> None:
    model = CountingFake(
        '{"name": "Tower Fan", "price": "49.00", "summary": "' + "a quiet fan, " * 2_000 + '"}'
    )
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


ROWS = [(f"HM-{100 + n}", f"Tower Fan {n}", f"${10 + n}.00") for n in range(60)]
TABLE = "Price list\n\n| Model | Product | Unit price |\n|---|---|---|\n" + "".join(
    f"| {m} | {p} | {price} |\n" for m, p, price in ROWS
)
PART = re.compile(r"<<<\n(.*)\n>>>", re.DOTALL)
LISTED = re.compile(r"^\| (HM-\d+) \| (.+?) \| (\S+) \|$", re.MULTILINE)


class FirstRows(FakeBackend):
    """Lists the first two rows of the table in its part, and stops."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        found = PART.search(messages[-1].content)
        rows = LISTED.findall(found.group(1))[:2] if found else []
        return json.dumps([{"model": m, "name": p, "price": price} for m, p, price in rows])


def test_every_row_of_a_table_comes_back_from_a_model_that_lists_a_few(
    tmp_path: Path, database_url: str
) -> None:
    model = FirstRows()
    item = {
        "type": "object",
        "properties": {"model": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number"}},
    }
    schema = {"type": "object", "properties": {"products": {"type": "array", "items": item}}}
    response_format = {"type": "json_schema", "json_schema": {"name": "catalogue", "schema": schema}}
    answer = extracted(model, tmp_path, database_url, TABLE, "List every product.", response_format)
    assert sorted((p["model"], p["name"], p["price"]) for p in answer["products"]) == [
        (m, p, float(price.strip("$"))) for m, p, price in ROWS
    ]
