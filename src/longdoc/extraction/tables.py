"""The rest of a table the model was listing, read from the columns its items came from.

A small model listing a long table stops early or skips rows. The items it listed from a part's
Markdown tables (two or more of their values are cells of one row) show which column each field
comes from: the one most of them took it from. The other rows of tables under the same header are
items of the same kind, each made of those columns' cells. A row filling fewer of the columns
than every listed item did (a total, a note) is not an item. Nothing is added under a header when
a field was mostly not a cell of its item's row: the model took it from elsewhere, and the other
rows cannot give it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^[\s|:-]+$")
_NOT_WORD = re.compile(r"[\W_]+")
# a number, with a currency sign, code or 元 before or after it and nothing else
_AMOUNT = re.compile(r"^[^\w\s]?\s*(?:[A-Z]{3}\s*)?([-+]?\d[\d,.\s]*?)\s*(?:[A-Z]{3}|元)?\s*[^\w\s]?$")


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


def with_table_rows(surface: Any, text: str) -> Any:
    """``surface`` with every list of objects it holds (``surface`` itself, when it is one)
    completed by the rows of ``text``'s tables its elements leave out."""
    if isinstance(surface, dict):
        return {name: with_table_rows(value, text) for name, value in surface.items()}
    if isinstance(surface, list) and surface and all(isinstance(v, dict) for v in surface):
        tables = _tables(text)
        return surface + _missing_rows(surface, tables) if tables else surface
    return surface


def _tables(text: str) -> list[_Table]:
    """The Markdown tables of ``text``: a header row, a rule, then body rows."""
    tables: list[_Table] = []
    block: list[tuple[str, ...]] = []
    last_end = -1
    for match in _ROW.finditer(text):
        if match.start() != last_end + 1:
            _add(tables, block)
            block = []
        if not _RULE.match(match.group(1)):
            block.append(tuple(cell.strip() for cell in match.group(1).split("|")))
        elif len(block) != 1:  # a rule anywhere but under the header: not this kind of table
            block = []
        last_end = match.end()
    _add(tables, block)
    return tables


def _add(tables: list[_Table], block: list[tuple[str, ...]]) -> None:
    if len(block) > 1:
        tables.append(_Table(block[0], block[1:]))


def _missing_rows(items: list[dict[str, Any]], tables: list[_Table]) -> list[dict[str, Any]]:
    found: dict[tuple[str, ...], dict[str, Counter[int | None]]] = defaultdict(lambda: defaultdict(Counter))
    fewest: dict[tuple[str, ...], int] = {}
    used: set[tuple[int, int]] = set()
    for item in items:
        filled = {name: v for name, v in item.items() if v not in (None, "", [])}
        if any(isinstance(v, dict | list) for v in filled.values()):
            return []  # nested values are not cells
        t, r, at = _best_row({name: str(v) for name, v in filled.items()}, tables)
        if not at or len(at) < min(2, len(filled)):
            continue  # not read from the tables
        header = tables[t].header
        used.add((t, r))
        for name in filled:
            found[header][name][at.get(name)] += 1
        fewest[header] = min(fewest.get(header, len(at)), len(at))
    added: list[dict[str, Any]] = []
    for t, table in enumerate(tables):
        where = _columns(found.get(table.header, {}))
        for r, row in enumerate(table.rows):
            if not where or (t, r) in used or row == table.header:
                continue
            value = {name: row[c] for name, c in where.items() if c < len(row) and row[c]}
            if len(value) >= fewest[table.header]:
                added.append(value)
    return added


def _columns(found: dict[str, Counter[int | None]]) -> dict[str, int]:
    """Each field's column, where most items found it ({} when a field was mostly found
    elsewhere: the other rows cannot give it)."""
    where: dict[str, int] = {}
    for name, columns in found.items():
        column, count = columns.most_common(1)[0]
        if column is None or count * 2 <= columns.total():
            return {}
        where[name] = column
    return where


def _best_row(filled: dict[str, str], tables: list[_Table]) -> tuple[int, int, dict[str, int]]:
    """The table and row holding most values of ``filled`` as whole cells, and their columns."""
    best: tuple[int, int, dict[str, int]] = (0, 0, {})
    for t, table in enumerate(tables):
        for r, row in enumerate(table.rows):
            at: dict[str, int] = {}
            for name, value in filled.items():
                column = next((c for c, cell in enumerate(row) if _same(value, cell)), None)
                if column is not None:
                    at[name] = column
            if len(at) > len(best[2]):
                best = (t, r, at)
                if len(at) == len(filled):
                    return best
    return best


def _same(value: str, cell: str) -> bool:
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
