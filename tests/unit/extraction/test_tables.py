"""The tables a list was read from are read again from the columns (or, in plain lines, the
layout) of the items the model listed: its rows' cells replace what the model misread, and the
rows it left out come back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from longdoc.extraction.tables import read_tables

Extract = Callable[..., tuple[Any, int]]  # the ``extract`` fixture (conftest)

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


def listed(*rows: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"model": m, "name": n, "price": p} for m, n, p in rows]


def read(items: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The items as the tables give them, then the rows no item came from; every cell is where
    the text writes it."""
    reading = read_tables(items, text)
    for row in reading.rows:
        assert all(" ".join(text[c.start : c.end].split()) == c.text for c in row.values())
    cells = [{name: c.text for name, c in row.items()} for row in reading.rows]
    taken = [
        item if home is None else {**item, **cells[home]}
        for item, home in zip(items, reading.homes, strict=True)
    ]
    return taken + [cells[n] for n in range(len(cells)) if n not in reading.homes]


def test_the_rows_the_model_left_out_come_from_its_items_columns() -> None:
    items = listed(("HM-4435X", "Floor Cleaner F12", "599"), ("HM-6059", "Tower Fan 40 SE", "$367.00"))
    assert read(items, TABLES) == listed(
        ("HM-4435X", "Floor Cleaner F12", "$599.00"),
        ("HM-6059", "Tower Fan 40 SE", "$367.00"),
        ("HM-4961S", "Floor Cleaner F7", "$1,178.00"),
        ("PH-162", "Pulse 12", "$300.50"),
    )


def test_an_item_from_outside_the_tables_neither_teaches_nor_stops_the_rest() -> None:
    items = listed(("HM-4435X", "Floor Cleaner F12", "$599.00"), ("NB-5418", "Aero 14", "$1,700.00"))
    assert [i["model"] for i in read(items, TABLES)] == [
        "HM-4435X",
        "NB-5418",
        "HM-6059",
        "HM-4961S",
        "PH-162",
    ]


def test_a_misread_cell_is_read_again_from_its_column() -> None:
    items = listed(("HM-4435X", "Floor Cleaner F12", "$599.00"), ("HM-6059", "Tower Fan 40 SE", "$367.00"))
    items.append({"model": "HM-4961S", "name": "Floor Cleaner F7", "price": "1,178"})
    items.append({"model": "HM-4961", "name": "Floor Cleaner F7", "price": "$1,178.00"})
    assert read(items, TABLES)[2:4] == listed(("HM-4961S", "Floor Cleaner F7", "$1,178.00")) * 2


def test_a_field_taken_from_outside_the_rows_reads_nothing() -> None:
    items = [
        {"model": "HM-4435X", "price": "$599.00", "category": "Price list"},
        {"model": "HM-6059", "price": "$367.00", "category": "Price list"},
    ]
    assert read(items, TABLES) == items


def test_a_row_filling_fewer_columns_than_the_items_is_no_item() -> None:
    items = listed(("PH-162", "Pulse 12", "$300.50"))
    assert "Total" not in [i["name"] for i in read(items, TABLES)]


def test_nested_values_and_text_without_tables_read_nothing() -> None:
    invoice = [{"number": "7", "lines": listed(("HM-4435X", "Floor Cleaner F12", "$599.00"))}]
    assert read(invoice, TABLES) == invoice
    items = listed(("HM-4435X", "Floor Cleaner F12", "$599.00"))
    assert read(items, "HM-4435X is a Floor Cleaner F12 at $599.00") == items


def test_lines_laid_out_like_the_listed_items_are_the_other_rows() -> None:
    items = listed(
        ("PH-9471", "Northwind Pulse 16 Limited Edition", "577"),
        ("PH-8234", "Northwind Pulse 12 SE", "$672.50"),
    )
    assert read(items, LINES) == listed(
        ("PH-9471", "Northwind Pulse 16 Limited Edition", "$577.00"),
        ("PH-8234", "Northwind Pulse 12 SE", "$672.50"),
        ("PH-9850-CN", "Northwind Pulse 9 SE", "$1,058.00"),
        ("SD-4824", "Portable SSD Drive 512GB", "$224.99"),
    )


def test_lines_are_not_read_from_one_item_or_items_that_are_not_whole_lines() -> None:
    one = listed(("PH-9471", "Northwind Pulse 16 Limited Edition", "$577.00"))
    assert read(one, LINES) == one
    partial = [{"model": "PH-9471", "price": "$577.00"}, {"model": "PH-8234", "price": "$672.50"}]
    assert read(partial, LINES) == partial


def test_an_item_whose_value_runs_into_the_next_cell_takes_its_lines_cells() -> None:
    items = listed(
        ("PH-9471 Northwind Pulse 16 Limited Edition", "Northwind Pulse 16 Limited Edition", "577"),
        ("PH-9850-CN", "Northwind Pulse 9 SE 1,058.00", "1058"),
        ("PH-8234", "Northwind Pulse 12 SE", "$672.50"),
    )
    assert read(items, LINES)[:3] == listed(
        ("PH-9471", "Northwind Pulse 16 Limited Edition", "$577.00"),
        ("PH-9850-CN", "Northwind Pulse 9 SE", "$1,058.00"),
        ("PH-8234", "Northwind Pulse 12 SE", "$672.50"),
    )


def test_an_item_from_no_row_unlike_its_columns_codes_is_a_line_read_as_an_item() -> None:
    reading = read_tables(
        listed(("HM-4435X", "Floor Cleaner F12", "$599.00"), ("HM-6059", "Tower Fan 40 SE", "$367")), TABLES
    )
    letterhead = {"model": "Bluefin Home Appliances LLC", "name": "88 Lakeview Drive", "price": 2024}
    title = {"model": "Phones", "name": "Phones", "price": None}
    in_prose = {"model": "NB-5418", "name": "Aero 14", "price": 1700.0}
    assert reading.unlike(letterhead) and reading.unlike(title)
    assert not reading.unlike(in_prose)
    assert not reading.unlike(
        {"model": None, "name": "Aero 14 with a longer name than any row", "price": 1700.0}
    )


def test_a_value_running_into_a_cell_written_another_way_teaches_the_layout_too() -> None:
    items = listed(
        ("PH-9850-CN", "Northwind Pulse 9 SE $1,058.00", "1058"),
        ("PH-8234", "Northwind Pulse 12 SE", "672.5"),
    )
    assert read(items, LINES)[:2] == listed(
        ("PH-9850-CN", "Northwind Pulse 9 SE", "$1,058.00"), ("PH-8234", "Northwind Pulse 12 SE", "$672.50")
    )


def test_items_leaving_a_field_out_agree_with_the_layout_of_those_giving_it() -> None:
    left_out = [
        {"model": "PH-9471", "name": "Northwind Pulse 16 Limited Edition $577.00", "price": None},
        {"model": "PH-9850-CN", "name": "Northwind Pulse 9 SE $1,058.00", "price": None},
        {"model": "SD-4824", "name": "Portable SSD Drive 512GB $224.99", "price": None},
    ]
    items = [*left_out, *listed(("PH-8234", "Northwind Pulse 12 SE", "672.5"))]
    assert read(items, LINES) == items
    items.append({"model": "PH-9471", "name": "Northwind Pulse 16 Limited Edition", "price": "577"})
    assert [(i["name"], i["price"]) for i in read(items, LINES)] == [
        ("Northwind Pulse 16 Limited Edition", "$577.00"),
        ("Northwind Pulse 9 SE", "$1,058.00"),
        ("Portable SSD Drive 512GB", "$224.99"),
        ("Northwind Pulse 12 SE", "$672.50"),
        ("Northwind Pulse 16 Limited Edition", "$577.00"),
    ]


def test_an_objects_list_of_items_is_read_again_from_its_table(extract: Extract) -> None:
    invoice = (
        "Invoice INV-7\n\n"
        + TABLES.split("Phones")[0].rstrip()
        + "\n| 4 | HM-7001 | Tower Fan 50 | $410.00 |\n"
    )
    fields = {"model": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number"}}
    schema = {
        "type": "object",
        "properties": {
            "number": {"type": "string"},
            "lines": {"type": "array", "items": {"type": "object", "properties": fields}},
        },
    }
    lines = listed(("HM-4435X", "Floor Cleaner F12", "599"), ("HM-6059", "Tower Fan", "367"),
                   ("HM-4961S", "Floor Cleaner F7", "1,178.00"))  # fmt: skip
    answer, _ = extract([invoice], schema, lambda part: {"number": "INV-7", "lines": lines})
    assert answer["lines"] == [
        {"model": "HM-4435X", "name": "Floor Cleaner F12", "price": 599.0},
        {"model": "HM-6059", "name": "Tower Fan 40 SE", "price": 367.0},  # the cell's, not the model's
        {"model": "HM-4961S", "name": "Floor Cleaner F7", "price": 1178.0},
        {"model": "HM-7001", "name": "Tower Fan 50", "price": 410.0},  # the row the model left out
    ]
    assert {s["text"] for s in answer["_source"] if s["field"] == "lines"} == {
        *("HM-4435X", "Floor Cleaner F12", "$599.00", "HM-6059", "Tower Fan 40 SE", "$367.00"),
        *("HM-4961S", "Floor Cleaner F7", "$1,178.00", "HM-7001", "Tower Fan 50", "$410.00"),
    }  # the cells, in place of where the model's values were found
