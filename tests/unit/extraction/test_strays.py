"""A line read as an item — a letterhead, a section's title — lacks a value the schema requires
that the rest of its list gives, and is left out; a list where such values are rare keeps all."""

from __future__ import annotations

from typing import Any

from longdoc.extraction.merge import Item
from longdoc.extraction.validation import without_strays

SCHEMA = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "price": {"type": "number"},
        "note": {"type": ["string", "null"]},
    },
    "required": ["model", "price", "note"],
}


def items(*values: dict[str, Any]) -> list[Item]:
    return [Item(value, 1, []) for value in values]


def test_an_item_lacking_a_needed_value_the_others_give_is_left_out() -> None:
    products = items(*({"model": f"PH-{n}", "price": 100 + n, "note": None} for n in range(4)))
    title = items({"model": "Storage", "price": None, "note": None})
    kept, left_out = without_strays(products[:2] + title + products[2:], SCHEMA)
    assert kept == products and left_out == 1


def test_values_most_items_lack_or_may_be_null_leave_every_item() -> None:
    few = items({"model": "A", "price": 1, "note": None}, {"model": "B", "price": None, "note": None})
    assert without_strays(few, SCHEMA) == (few, 0)  # too few items to tell
    half = items(*({"model": str(n), "price": n if n % 2 else None, "note": None} for n in range(8)))
    assert without_strays(half, SCHEMA) == (half, 0)
    notes = items(*({"model": str(n), "price": n, "note": "x" if n else None} for n in range(8)))
    assert without_strays(notes, SCHEMA) == (notes, 0)  # "note" may be null
