"""A table the model stopped listing early is completed from the columns its items came from."""

from __future__ import annotations

from typing import Any

from longdoc.extraction.tables import with_table_rows

TABLES = """Price list

| No. | Model | Product | Unit price |
|---|---|---|---|
| 1 | HM-4435X | Floor Cleaner F12 | $599.00 |
| 2 | HM-6059 | Tower Fan 40 SE | $367.00 |
| 3 | HM-4961S | Floor Cleaner F7 | $1,178.00 |

Phones

| No. | Model | Product | Unit price |
|---|---|---|---|
| 1 | PH-162 | Pulse 12 | $300.50 |
| | | Total | $2,444.50 |

Also available: the Aero 14, model NB-5418, at $1,700.00.
"""


def listed(*rows: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"model": m, "name": n, "price": p} for m, n, p in rows]


def test_the_rows_the_model_left_out_come_from_its_items_columns() -> None:
    items = listed(("HM-4435X", "Floor Cleaner F12", "599"), ("HM-6059", "Tower Fan 40 SE", "$367.00"))
    assert with_table_rows(items, TABLES) == items + listed(
        ("HM-4961S", "Floor Cleaner F7", "$1,178.00"), ("PH-162", "Pulse 12", "$300.50")
    )


def test_an_item_from_outside_the_tables_neither_teaches_nor_stops_the_rest() -> None:
    items = listed(("HM-4435X", "Floor Cleaner F12", "$599.00"), ("NB-5418", "Aero 14", "$1,700.00"))
    assert [i["model"] for i in with_table_rows(items, TABLES)] == [
        "HM-4435X",
        "NB-5418",
        "HM-6059",
        "HM-4961S",
        "PH-162",
    ]


def test_a_field_taken_from_outside_the_rows_adds_nothing() -> None:
    items = [
        {"model": "HM-4435X", "price": "$599.00", "category": "Price list"},
        {"model": "HM-6059", "price": "$367.00", "category": "Price list"},
    ]
    assert with_table_rows(items, TABLES) == items


def test_a_row_filling_fewer_columns_than_the_items_is_no_item() -> None:
    items = listed(("PH-162", "Pulse 12", "$300.50"))
    assert "Total" not in [i["name"] for i in with_table_rows(items, TABLES)]


def test_objects_holding_lists_and_text_without_tables_are_left_as_they_are() -> None:
    invoice = {"number": "7", "lines": listed(("HM-4435X", "Floor Cleaner F12", "$599.00"))}
    assert len(with_table_rows(invoice, TABLES)["lines"]) == 4
    items = listed(("HM-4435X", "Floor Cleaner F12", "$599.00"))
    assert with_table_rows(items, "HM-4435X Floor Cleaner F12 $599.00") == items
    assert with_table_rows(["HM-4435X"], TABLES) == ["HM-4435X"]


LINES = """Northwind Electronics · 2024 Catalogue · 1
Phone
Model Product Unit price
PH-9471 Northwind Pulse 16 Limited Edition $577.00
PH-9850-CN Northwind Pulse 9 SE $1,058.00
PH-8234 Northwind Pulse 12 SE $672.50

Northwind Electronics · 2024 Catalogue · 2
Storage
Model Product Unit price
SD-4824 Portable SSD Drive 512GB $224.99
Q3 sales of the Pulse rose to $5.00
Terms: prices are subject to change without notice and exclude VAT at $0.00
"""


def test_lines_laid_out_like_the_listed_items_are_the_other_rows() -> None:
    items = listed(
        ("PH-9471", "Northwind Pulse 16 Limited Edition", "577"),
        ("PH-8234", "Northwind Pulse 12 SE", "$672.50"),
    )
    assert with_table_rows(items, LINES)[2:] == listed(
        ("PH-9850-CN", "Northwind Pulse 9 SE", "$1,058.00"),
        ("SD-4824", "Portable SSD Drive 512GB", "$224.99"),
    )


def test_lines_are_not_read_from_one_item_or_items_that_are_not_whole_lines() -> None:
    one = listed(("PH-9471", "Northwind Pulse 16 Limited Edition", "$577.00"))
    assert with_table_rows(one, LINES) == one
    partial = [{"model": "PH-9471", "price": "$577.00"}, {"model": "PH-8234", "price": "$672.50"}]
    assert with_table_rows(partial, LINES) == partial


def test_an_item_whose_value_runs_into_the_next_cell_takes_its_lines_cells() -> None:
    items = listed(
        ("PH-9471 Northwind Pulse 16 Limited Edition", "Northwind Pulse 16 Limited Edition", "577"),
        ("PH-9850-CN", "Northwind Pulse 9 SE 1,058.00", "1058"),
        ("PH-8234", "Northwind Pulse 12 SE", "$672.50"),
    )
    assert with_table_rows(items, LINES)[:3] == listed(
        ("PH-9471", "Northwind Pulse 16 Limited Edition", "$577.00"),
        ("PH-9850-CN", "Northwind Pulse 9 SE", "$1,058.00"),
        ("PH-8234", "Northwind Pulse 12 SE", "$672.50"),
    )
