"""A list's items re-read from the tables of the documents they came from (``tables``).

For each document, the text its read parts span is searched for the tables the items were listed
from: an item read from a row takes the row's cells, grounded there exactly (in place of the
sources of the values they replace); a row no item came from becomes an item of the part it is
in. The items are a list answer's, or a list field's elements (an invoice's lines). A span longer than ``MOST_CHARACTERS`` is not searched
(a long document's list is read by its parts alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from longdoc.context.parts import Part
from longdoc.extraction.cells import Cell, Row
from longdoc.extraction.grounding import Grounding, leaves
from longdoc.extraction.headers import Columns
from longdoc.extraction.merge import Item
from longdoc.extraction.tables import read_tables

MOST_CHARACTERS = 200_000

Typed = Callable[[dict[str, str], int], Any]  # a row's cells as text, its document → the item's value
Ground = Callable[[str, Cell, int], Grounding]  # field, cell, document → where the value is written


def with_table_items(
    items: list[Item],
    parts: Sequence[Part],
    texts: Sequence[str],
    typed: Typed,
    ground: Ground,
    columns: Columns | None = None,
) -> tuple[list[Item], int]:
    """``items`` with those read from a table row taking its cells, and the rows no item came
    from; also how many items were left out as unlike the tables' rows."""
    by_number = {part.number: part for part in parts}
    result = [item for item in items if not isinstance(item.value, dict)]
    unlike = 0
    for source, text in enumerate(texts):
        mine = [
            item for item in items if isinstance(item.value, dict) and by_number[item.part].source == source
        ]
        read = [part for part in parts if part.source == source]
        if not mine or not read:
            result.extend(mine)
            continue
        start, end = min(p.start for p in read), max(p.end for p in read)
        if end - start > MOST_CHARACTERS:
            result.extend(mine)
            continue
        reading = read_tables([item.value for item in mine], text[start:end], columns)
        rows = [
            {name: Cell(c.text, c.start + start, c.end + start) for name, c in row.items()}
            for row in reading.rows
        ]
        for item, home in zip(mine, reading.homes, strict=True):
            if home is None and reading.unlike(item.value):
                unlike += 1
                continue
            if home is not None:
                row = rows[home]
                replaced = {leaf for name in row for leaf in leaves(item.value.get(name))}
                item.value = {**item.value, **typed(_texts(row), source)}
                item.sources = [
                    s for s in item.sources if s.field not in row and s.value not in replaced
                ] + _grounded(row, source, ground)
            result.append(item)
        claimed = set(reading.homes)
        for n, row in enumerate(rows):
            if n not in claimed:
                part = next((p for p in read if p.start <= next(iter(row.values())).start < p.end), read[-1])
                result.append(Item(typed(_texts(row), source), part.number, _grounded(row, source, ground)))
    return result, unlike


def _texts(row: Row) -> dict[str, str]:
    return {name: cell.text for name, cell in row.items()}


def _grounded(row: Row, source: int, ground: Ground) -> list[Grounding]:
    return [ground(name, cell, source) for name, cell in row.items()]
