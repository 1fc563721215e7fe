"""A table's cells, the values that match them, and what reading a list's tables found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_NOT_WORD = re.compile(r"[\W_]+")
# a number, with a currency sign, code or 元 before or after it and nothing else
_AMOUNT = re.compile(r"^[^\w\s]?\s*(?:[A-Z]{3}\s*)?([-+]?\d[\d,.\s]*?)\s*(?:[A-Z]{3}|元)?\s*[^\w\s]?$")


@dataclass(frozen=True)
class Cell:
    text: str
    start: int  # character offsets into the text the table is in
    end: int


Row = dict[str, Cell]  # each field's cell in one row


@dataclass
class TableReading:
    """The rows of a text's tables that hold a list's items, and the row each item was read from."""

    rows: list[Row] = field(default_factory=list)
    homes: list[int | None] = field(default_factory=list)  # per item: its row's index, if any

    def unclaimed(self) -> list[Row]:
        """The rows no item was read from."""
        claimed = set(self.homes)
        return [row for n, row in enumerate(self.rows) if n not in claimed]


def filled(item: dict[str, Any]) -> dict[str, str]:
    """An item's fields that hold a value, as text."""
    return {name: str(v) for name, v in item.items() if v not in (None, "", [])}


def same_cell(value: str, cell: str) -> bool:
    """A value and a cell that write the same: equal letters and digits, or the same number
    ("1086" and "$1,086.00")."""
    if _NOT_WORD.sub("", value).casefold() == _NOT_WORD.sub("", cell).casefold() != "":
        return True
    a, b = _AMOUNT.match(value.strip()), _AMOUNT.match(cell.strip())
    if a is None or b is None:
        return False
    try:
        return float(re.sub(r"[,\s]", "", a.group(1))) == float(re.sub(r"[,\s]", "", b.group(1)))
    except ValueError:
        return False


def contains(cells: Row, value: str) -> bool:
    """Whether a row writes ``value`` (its letters and digits) in one of its cells or across them."""
    return (
        _NOT_WORD.sub("", value).casefold()
        in _NOT_WORD.sub("", " ".join(c.text for c in cells.values())).casefold()
    )
