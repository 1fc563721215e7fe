"""A field no listed item gave takes the column the table's header names, as the model reads the
header; a column under which the cells are not of the field's type, or that numbers the rows, is
not taken."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from longdoc.extraction.headers import HeaderColumns
from longdoc.extraction.tables import read_tables
from longdoc.inference.base import ChatMessage, GenerationParams

INVOICE = """Fattura F-1

| Pos. | Descrizione | Q.tà | Prezzo unitario | Importo |
|---|---|---|---|---|
| 1 | Akku-Bohrschrauber BS 18 Peso: 1,6 kg | 1 | € 119,33 | € 119,33 |
| 2 | Powerbank PB-10 Capacità: 10000 mAh | 3 | € 38,80 | € 116,40 |
"""
ITEM = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "quantity": {"type": "number"},
        "unit_price": {"type": "number"},
        "capacity_mah": {"type": "integer"},
        "weight_kg": {"type": "number"},
    },
}


class Reader:
    """The model, answering ``said`` to every header it is shown."""

    def __init__(self, said: dict[str, Any]) -> None:
        self.said = said
        self.questions: list[str] = []

    def __call__(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        self.questions.append(messages[-1].content)
        assert params.json_schema is not None and set(params.json_schema["properties"]) == set(
            ITEM["properties"]
        )
        return json.dumps(self.said)


LISTED = [
    {"description": "Akku-Bohrschrauber BS 18 Peso: 1,6 kg", "quantity": None, "weight_kg": "1.6"},
    {"description": "Powerbank PB-10 Capacità: 10000 mAh", "quantity": None, "capacity_mah": "10000"},
]


def cells_read(said: dict[str, Any]) -> list[dict[str, str]]:
    reader = Reader(said)
    reading = read_tables(LISTED, INVOICE, HeaderColumns(ITEM, reader))
    assert len(reader.questions) <= 1 and all("| Pos. | Descrizione |" in q for q in reader.questions)
    return [{name: cell.text for name, cell in row.items()} for row in reading.rows]


def test_the_fields_no_item_gave_take_the_columns_the_header_names() -> None:
    said = {"description": "Pos.", "quantity": "Q.tà", "unit_price": "Prezzo unitario",
            "capacity_mah": "Importo", "weight_kg": "Importo"}  # fmt: skip
    assert cells_read(said) == [
        {"description": "Akku-Bohrschrauber BS 18 Peso: 1,6 kg", "quantity": "1", "unit_price": "€ 119,33"},
        {"description": "Powerbank PB-10 Capacità: 10000 mAh", "quantity": "3", "unit_price": "€ 38,80"},
    ]  # the items gave the description, capacity and weight; "Importo" writes no mAh or kg


def test_a_column_numbering_the_rows_or_of_another_type_is_not_taken() -> None:
    assert cells_read({"quantity": "Pos.", "unit_price": "Descrizione"}) == [
        {"description": "Akku-Bohrschrauber BS 18 Peso: 1,6 kg"},
        {"description": "Powerbank PB-10 Capacità: 10000 mAh"},
    ]
    assert cells_read({"quantity": None, "unit_price": None}) == cells_read({})


def test_one_column_goes_to_one_field() -> None:
    rows = cells_read({"quantity": "Q.tà", "unit_price": "Q.tà"})
    assert [row.get("quantity") for row in rows] == ["1", "3"] and not any(
        "unit_price" in row for row in rows
    )


def test_a_field_naming_a_unit_takes_a_column_whose_header_names_it() -> None:
    text = (
        INVOICE.replace("| Importo |", "| Gewicht (kg) |")
        .replace("€ 119,33 |\n", "1,6 |\n")
        .replace("€ 116,40 |", "0,2 |")
    )
    reading = read_tables(
        [{k: v for k, v in item.items() if k != "weight_kg"} for item in LISTED],
        text,
        HeaderColumns(ITEM, Reader({"weight_kg": "Gewicht (kg)"})),
    )
    assert [row["weight_kg"].text for row in reading.rows] == ["1,6", "0,2"]


def test_a_text_field_takes_a_column_only_under_a_header_saying_its_word() -> None:
    item = {"type": "object", "properties": {"model": {"type": "string"}, "category": {"type": "string"},
                                             "name": {"type": "string", "description": "product description"}}}  # fmt: skip
    columns = HeaderColumns(
        item, lambda messages, params: json.dumps({"category": "Descrizione", "name": "Descrizione"})
    )
    rows = [("1", "Akku-Bohrschrauber BS 18", "1"), ("2", "Powerbank PB-10", "3")]
    assert columns(("Pos.", "Descrizione", "Q.tà"), rows, {"model"}) == {"name": 1}


def test_a_quantity_the_items_took_from_the_rows_numbers_takes_the_column_the_header_names() -> None:
    listed = [
        {"description": "Akku-Bohrschrauber BS 18 Peso: 1,6 kg", "quantity": "1", "unit_price": "119,33"},
        {"description": "Powerbank PB-10 Capacità: 10000 mAh", "quantity": "2", "unit_price": "38,80"},
    ]  # the second quantity is its row's "Pos.", not its "Q.tà"
    reading = read_tables(listed, INVOICE, HeaderColumns(ITEM, Reader({"quantity": "Q.tà"})))
    assert [row["quantity"].text for row in reading.rows] == ["1", "3"]
    unanswered = read_tables(listed, INVOICE, HeaderColumns(ITEM, Reader({"quantity": None})))
    assert [row["quantity"].text for row in unanswered.rows] == ["1", "2"]  # the items' column stands
