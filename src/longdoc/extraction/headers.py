"""The column of a table that holds a field no listed item gave, read from the table's header.

A small model listing a table's rows sometimes leaves a field empty on every one of them: it
names each product and gives no quantity or price. The items then show no column for the field,
and reading the rows again cannot give it. The header can: "Q.tà" heads the quantities,
"Prezzo unitario" the unit prices. The model is asked once per header which of its cells heads
each such field, shown the header and the first row, its answer constrained to the header's
cells or null. A field the items took from a column numbering the rows (a quantity read from
"N°") is asked too. A column is taken only if no other field has it, it does not number the
rows, and every cell under it reads as the field's type: a text field's header begins a word as
one of the field's name or description does ("Descrizione", "description"); a number field's
cells are numbers, with at most a short sign or unit beside them, and a field that names a unit
("weight_kg", "capacity_mah" in a text that writes "mAh") takes a column whose header or every
cell writes a unit of that dimension.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from longdoc.extraction.schema import kinds_of
from longdoc.extraction.units import field_unit, field_unit_in, quantities, same_dimension
from longdoc.inference.base import ChatMessage, GenerationParams

# A table's header, the texts of its body rows and the fields its items gave → other fields' columns
Columns = Callable[[tuple[str, ...], Sequence[tuple[str, ...]], Collection[str]], dict[str, int]]
Answer = Callable[[Sequence[ChatMessage], GenerationParams], str | None]  # the model's text, or None

QUESTION = (
    "A table:\n{table}\n\nFor each field, which column of this table holds it? Answer with the "
    "column's header, or null if no column holds that field.\nFields:\n{fields}"
)
ANSWER_TOKENS = 256
_WORD = re.compile(r"[^\W\d_]{4,}")
_NUMBER_CELL = re.compile(r"\D{0,4}[-+−]?\d[\d.,'’ \u00a0\u202f]*\D{0,4}")


class HeaderColumns:
    """A ``Columns`` for the items of ``schema`` (an object schema), asking ``answer``."""

    def __init__(self, schema: dict[str, Any], answer: Answer) -> None:
        self._properties: Mapping[str, Any] = schema.get("properties", {})
        self._answer = answer
        self._asked: dict[tuple[str, ...], dict[str, str]] = {}

    def __call__(
        self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]], given: Collection[str]
    ) -> dict[str, int]:
        wanted = [f for f, sub in self._properties.items() if isinstance(sub, dict) and f not in given]
        if not wanted or not rows or not any(header):
            return {}
        if header not in self._asked:
            self._asked[header] = self._ask(header, rows[0])
        text = " ".join(" ".join(row) for row in rows)
        columns: dict[str, int] = {}
        for name, label in self._asked[header].items():
            column = header.index(label)
            cells = [row[column] for row in rows if column < len(row) and row[column]]
            if (
                name in wanted
                and column not in columns.values()
                and cells
                and not numbers_rows(cells)
                and self._fits(name, label, cells, text)
            ):
                columns[name] = column
        return columns

    def _ask(self, header: tuple[str, ...], first: tuple[str, ...]) -> dict[str, str]:
        """Each field's header cell, as the model reads the header and first row (every field of
        the items is asked: the model reads a header better for seeing them all)."""
        labels = [cell for cell in dict.fromkeys(header) if cell]
        fields = tuple(name for name, sub in self._properties.items() if isinstance(sub, dict))
        listed = "\n".join(
            f"- {name}"
            + (
                f": {self._properties[name]['description']}"
                if self._properties[name].get("description")
                else ""
            )
            for name in fields
        )
        table = "\n".join("| " + " | ".join(row) + " |" for row in (header, first))
        prompt = QUESTION.format(table=table, fields=listed)
        schema = {
            "type": "object",
            "properties": {name: {"enum": [*labels, None]} for name in fields},
            "required": list(fields),
            "additionalProperties": False,
        }
        params = GenerationParams(json_schema=schema, temperature=0.0, max_tokens=ANSWER_TOKENS)
        text = self._answer([ChatMessage(role="user", content=prompt)], params)
        try:
            answer = json.loads(text) if text else {}
        except json.JSONDecodeError:
            return {}
        if not isinstance(answer, dict):
            return {}
        return {name: label for name, label in answer.items() if name in fields and label in labels}

    def _fits(self, name: str, label: str, cells: Sequence[str], text: str) -> bool:
        """Whether every cell reads as the field's type; a field that names a unit ("weight_kg")
        also needs the header or every cell to write a unit of its dimension."""
        schema = self._properties[name]
        kinds = kinds_of(schema)
        if not kinds & {"number", "integer"}:  # any text fits: the header must say the field's word
            said = {word[:4] for word in _WORD.findall(f"{name} {schema.get('description', '')}".casefold())}
            return ("string" in kinds or not kinds) and any(
                w[:4] in said for w in _WORD.findall(label.casefold())
            )
        if not all(_NUMBER_CELL.fullmatch(cell.strip()) for cell in cells):
            return False
        description = str(schema.get("description", ""))
        unit = field_unit(name, description) or field_unit_in(name, description, text)
        if unit is None:
            return True
        named = field_unit("", label)
        return (named is not None and same_dimension(named, unit)) or all(quantities(c, unit) for c in cells)


def numbers_rows(cells: Sequence[str]) -> bool:
    """Whether a column's cells number its rows: 1, 2, 3… (blank cells aside)."""
    written = [cell for cell in cells if cell]
    return len(written) > 1 and written == [str(n) for n in range(1, len(written) + 1)]
