"""A table's cells, the values that match them, and what reading a list's tables found."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_NOT_WORD = re.compile(r"[\W_]+")
_EDGE = re.compile(r"(\W*)(.*?)(\W*)", re.DOTALL)
# a number, with a currency sign, code or 元 before or after it and nothing else
_AMOUNT = re.compile(r"^[^\w\s]?\s*(?:[A-Z]{3}\s*)?([-+]?\d[\d,.\s]*?)\s*(?:[A-Z]{3}|元)?\s*[^\w\s]?$")


@dataclass(frozen=True)
class Cell:
    text: str
    start: int  # character offsets into the text the table is in
    end: int


Row = dict[str, Cell]  # each field's cell in one row
Shape = tuple[str, str, bool, bool, frozenset[str]]  # one word's (``shape_of``)


@dataclass
class TableReading:
    """The rows of a text's tables that hold a list's items, and the row each item was read from."""

    rows: list[Row] = field(default_factory=list)
    homes: list[int | None] = field(default_factory=list)  # per item: its row's index, if any

    def unlike(self, item: dict[str, Any]) -> bool:
        """Whether an item no row holds has a text value unlike every cell of its column, in a
        column of codes (three cells or more, each one word of letters and digits, no amount: a
        "PH-9471"): a letterhead or a section's title read as an item."""
        for name, value in item.items():
            cells = [row[name].text for row in self.rows if name in row]
            if not isinstance(value, str) or not value or len(cells) < 3:
                continue
            shapes = {shape_of(c.split()) for c in cells}
            codes = all(len(s) == 1 and s[0][2] and s[0][3] for s in shapes) and not any(
                map(_AMOUNT.match, cells)
            )
            if codes and shape_of(value.split()) not in shapes:
                return True
        return False


def filled(item: dict[str, Any]) -> dict[str, str]:
    """An item's fields that hold a value, as text."""
    return {name: str(v) for name, v in item.items() if v not in (None, "", [])}


def same_cell(value: str, cell: str) -> bool:
    """A value and a cell that write the same: equal letters and digits, or the same number
    ("1086" and "$1,086.00")."""
    if key(value) == key(cell) != "":
        return True
    a, b = _AMOUNT.match(value.strip()), _AMOUNT.match(cell.strip())
    if a is None or b is None:
        return False
    try:
        return float(re.sub(r"[,\s]", "", a.group(1))) == float(re.sub(r"[,\s]", "", b.group(1)))
    except ValueError:
        return False


def key(text: str) -> str:
    """A text's letters and digits, case-folded: what two spellings of one value share."""
    return _NOT_WORD.sub("", text).casefold()


def contains(cells: Row, value: str) -> bool:
    """Whether a row writes ``value`` (its letters and digits) in one of its cells or across them."""
    return key(value) in key(" ".join(c.text for c in cells.values()))


def shape_of(words: Iterable[str]) -> tuple[Shape, ...]:
    """What each word is made of: the marks before and after it, whether it has letters and
    digits, and the marks inside it other than a number's separators ("-" in "PH-9471")."""
    return tuple(_shape(word) for word in words)


def _shape(word: str) -> Shape:
    lead, core, tail = _EDGE.fullmatch(word).groups()  # type: ignore[union-attr]
    inner = frozenset(ch for ch in core if not ch.isalnum() and ch not in ",.")
    return lead, tail, any(ch.isalpha() for ch in core), any(ch.isdigit() for ch in core), inner
