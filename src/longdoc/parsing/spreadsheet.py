"""How a sheet's cells become text; shared by the XLSX and XLS backends.

A sheet is cut into blocks at fully empty rows. In each block, columns empty throughout are
dropped; a block of one row or one column (a title, a note) becomes a paragraph, anything wider a
Markdown table whose first row is the header. A merged range keeps its value in its top-left cell,
as the file stores it; the other cells stay empty.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from longdoc.parsing.base import DocumentBuilder


def cell_text(value: object) -> str:
    """A cell value as a person reads it: ISO dates, integral floats without ``.0``, no float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def _flush(builder: DocumentBuilder, block: list[list[str]]) -> None:
    if not block:
        return
    # Work in proportion to the cells present, never to rows x width: one cell far to the right
    # must not make every row of a long sheet that wide (the table pads rows where that is cheap).
    used = sorted({c for row in block for c, cell in enumerate(row) if cell})
    rows = [[row[c] for c in used[: bisect_left(used, len(row))]] for row in block]
    if len(rows) == 1:
        builder.paragraph(" ".join(cell for cell in rows[0] if cell))
    elif len(used) == 1:
        builder.paragraph("\n".join(row[0] for row in rows))
    else:
        builder.table(rows)


def write_sheet(builder: DocumentBuilder, rows: Iterable[Sequence[object]]) -> None:
    """Write one sheet's rows (cell values, top to bottom) to the current page."""
    block: list[list[str]] = []
    for values in rows:
        texts = [cell_text(v) for v in values]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            _flush(builder, block)
            block = []
        else:
            block.append(texts)
    _flush(builder, block)
