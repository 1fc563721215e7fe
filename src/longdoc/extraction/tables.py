"""The rest of a table the model was listing, read from the columns its items came from.

A small model listing a long table stops early or skips rows. The items it listed from a part's
Markdown tables (two or more of their values are cells of one row) show which column each field
comes from: the one most of them took it from. The other rows of tables under the same header are
items of the same kind, each made of those columns' cells. A row filling fewer of the columns
than every listed item did (a total, a note) is not an item. Nothing is added under a header when
a field was mostly not a cell of its item's row: the model took it from elsewhere, and the other
rows cannot give it.

A table a PDF's text layer writes as plain lines is read by ``line_tables``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from longdoc.extraction.cells import filled, same_cell
from longdoc.extraction.line_tables import line_rows

_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^[\s|:-]+$")


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
        if any(isinstance(v, dict | list) and v for item in surface for v in item.values()):
            return surface  # nested values are not cells
        tables = _tables(text)
        return surface + _missing_rows(surface, tables) if tables else line_rows(surface, text)
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
        values = filled(item)
        t, r, at = _best_row(values, tables)
        if not at or len(at) < min(2, len(values)):
            continue  # not read from the tables
        header = tables[t].header
        used.add((t, r))
        for name in values:
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


def _best_row(values: dict[str, str], tables: list[_Table]) -> tuple[int, int, dict[str, int]]:
    """The table and row holding most of ``values`` as whole cells, and their columns."""
    best: tuple[int, int, dict[str, int]] = (0, 0, {})
    for t, table in enumerate(tables):
        for r, row in enumerate(table.rows):
            at: dict[str, int] = {}
            for name, value in values.items():
                column = next((c for c, cell in enumerate(row) if same_cell(value, cell)), None)
                if column is not None:
                    at[name] = column
            if len(at) > len(best[2]):
                best = (t, r, at)
                if len(at) == len(values):
                    return best
    return best
