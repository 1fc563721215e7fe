"""A value a small model copied from one row of a table to the others is set to null."""

from __future__ import annotations

from longdoc.extraction.rows import unshared

TABLE = """Articles
| Désignation | Qté | Prix | Capacité |
|---|---|---|---|
| Batterie externe | 2 | 24,90 | 10000 mAh |
| Câble USB-C | 5 | 7,50 |  |
| Lampe de bureau | 1 | 39,00 |  |
Garantie : 24 mois sur tous les articles."""

NULLABLE = {"type": ["string", "null"]}
ITEM = {
    "type": "object",
    "properties": {
        "name": NULLABLE,
        "quantity": NULLABLE,
        "price": NULLABLE,
        "capacity": NULLABLE,
        "warranty": NULLABLE,
    },
}


def item(
    name: str, quantity: str, price: str, capacity: str | None, warranty: str | None = None
) -> dict[str, object]:
    return {"name": name, "quantity": quantity, "price": price, "capacity": capacity, "warranty": warranty}


def test_a_value_written_only_on_another_row_is_that_rows() -> None:
    answer = [
        item("Batterie externe", "2", "24,90", "10000 mAh"),
        item("Câble USB-C", "5", "7,50", "10000 mAh"),
        item("Lampe de bureau", "1", "39,00", "10000 mAh"),
    ]
    assert [e["capacity"] for e in unshared(answer, {"items": ITEM}, TABLE)] == ["10000 mAh", None, None]


def test_a_value_written_once_for_every_row_stays() -> None:
    answer = [
        item("Batterie externe", "2", "24,90", None, "24 mois"),
        item("Câble USB-C", "5", "7,50", None, "24 mois"),
    ]
    assert [e["warranty"] for e in unshared(answer, {"items": ITEM}, TABLE)] == ["24 mois", "24 mois"]


def test_a_required_field_keeps_the_models_value() -> None:
    strict = {
        **ITEM,
        "properties": {**ITEM["properties"], "capacity": {"type": "string"}},
        "required": ["capacity"],
    }
    answer = [
        item("Batterie externe", "2", "24,90", "10000 mAh"),
        item("Câble USB-C", "5", "7,50", "10000 mAh"),
    ]
    assert [e["capacity"] for e in unshared(answer, {"items": strict}, TABLE)] == ["10000 mAh", "10000 mAh"]


def test_lists_inside_an_object_are_checked_too() -> None:
    schema = {"items": {"type": "object", "properties": {"lines": {"type": "array", "items": ITEM}}}}
    answer = [
        {
            "lines": [
                item("Batterie externe", "2", "24,90", "10000 mAh"),
                item("Câble USB-C", "5", "7,50", "10000 mAh"),
            ]
        }
    ]
    assert [e["capacity"] for e in unshared(answer, schema, TABLE)[0]["lines"]] == ["10000 mAh", None]


def test_items_named_in_one_sentence_share_it() -> None:
    text = "The Aurora (model HX-100) and the Nimbus (model HX-300) both sell at ¥3,299.\nThe Pulse (model HX-410) costs ¥999."
    answer = [
        {"model": "HX-100", "name": "Aurora", "price": "¥3,299"},
        {"model": "HX-300", "name": "Nimbus", "price": "¥3,299"},
        {"model": "HX-410", "name": "Pulse", "price": "¥999"},
    ]
    assert unshared(answer, {}, text) == answer


def test_a_number_is_not_found_inside_another() -> None:
    answer = [item("Batterie externe", "2", "24,90", None), item("Câble USB-C", "5", "7,50", "90")]
    assert unshared(answer, {"items": ITEM}, TABLE)[1]["capacity"] == "90"  # "24,90" does not write 90
