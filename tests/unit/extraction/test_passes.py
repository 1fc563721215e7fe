"""A list part is asked again only while what was found leaves part of it unread: a small model
that stops early gets another pass, one that listed everything is not asked twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from longdoc.chat.engine import Extracted
from longdoc.extraction.evidence import read_through
from longdoc.extraction.grounding import Grounding
from longdoc.extraction.run import DocumentExtraction

SCHEMA = {
    "type": "object",
    "properties": {
        "products": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"model": {"type": "string"}, "price": {"type": "number"}},
                "required": ["model", "price"],
            },
        }
    },
}
ROWS = [(f"QX-{n:02d}", 100 + n) for n in range(1, 7)]
TEXT = "Price list\n" + "".join(f"The model {m} costs {p} dollars before tax.\n" for m, p in ROWS)


def span(start: int, end: int) -> list[Grounding]:
    return [Grounding("model", "f", None, start, end, "x" * (end - start), "exact")]


def test_items_spread_over_the_whole_part_read_it_through() -> None:
    found = [span(n * 50, n * 50 + 10) for n in range(6)]
    assert read_through(found, 0, 300)


def test_a_long_stretch_after_the_last_item_or_between_two_is_unread() -> None:
    assert not read_through([span(n * 50, n * 50 + 10) for n in range(3)], 0, 600)  # stopped early
    assert not read_through([span(0, 10), span(50, 60), span(400, 410), span(450, 460)], 0, 470)


def test_one_item_reads_a_part_through_only_if_it_fills_most_of_it() -> None:
    assert read_through([span(0, 40)], 0, 100)
    assert not read_through([span(0, 40)], 0, 1_000)
    assert not read_through([], 0, 100)


def run_counting(planned: Callable[..., DocumentExtraction], listed: int) -> tuple[list[Any], int]:
    """The items of an extraction whose model lists at most ``listed`` rows not yet named, and how
    many times it was asked."""
    calls: list[str] = []

    def answer(part: str) -> list[dict[str, Any]]:
        calls.append(part)
        asked = len(calls)
        rows = ROWS[(asked - 1) * listed : asked * listed]
        return [{"model": m, "price": str(p)} for m, p in rows if m in part]  # as written

    final = list(planned([TEXT], SCHEMA, answer, part_tokens=400).run(None))[-1]
    assert isinstance(final, Extracted)
    return json.loads(final.text)["products"], len(calls)


def test_a_model_that_lists_everything_is_asked_once(planned: Callable[..., DocumentExtraction]) -> None:
    items, calls = run_counting(planned, listed=6)
    assert [i["model"] for i in items] == [m for m, _ in ROWS]
    assert calls == 1


def test_a_model_that_stops_early_is_asked_again_for_the_rest(
    planned: Callable[..., DocumentExtraction],
) -> None:
    items, calls = run_counting(planned, listed=3)
    assert [i["model"] for i in items] == [m for m, _ in ROWS]
    assert calls == 2
