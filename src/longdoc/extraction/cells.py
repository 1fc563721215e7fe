"""Values and the cells of a table that write them."""

from __future__ import annotations

import re
from typing import Any

_NOT_WORD = re.compile(r"[\W_]+")
# a number, with a currency sign, code or 元 before or after it and nothing else
_AMOUNT = re.compile(r"^[^\w\s]?\s*(?:[A-Z]{3}\s*)?([-+]?\d[\d,.\s]*?)\s*(?:[A-Z]{3}|元)?\s*[^\w\s]?$")


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
