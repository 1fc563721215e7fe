"""The tables a list was read from, read again without the model.

A small model listing a table skips rows, stops early, or misreads a cell. The items it listed
from a document's Markdown tables (two or more of their values are cells of one row) show which
column each field comes from: the one most of them took it from. Every row of the tables under
the same header is then read by those columns: an item listed from a row takes the row's cells,
and the rows no item came from are the items the model left out. A row filling fewer of the
columns than every listed item did (a total, a note) is not an item. Nothing is read under a
header when a field was mostly not a cell of its item's row: the model took it from elsewhere,
and the rows cannot give it. A field no listed item gave may take the column its header names
(``headers``), and so may one the items took from the rows' numbers (1, 2, 3…: a quantity
read from the "N°" column). An item may also be placed in a row by names written inside its
cells (a name cut free of its attribute line); its row is then read, but no other row becomes an
item unless the items showed the columns by whole cells.

A table a PDF's text layer writes as plain lines is read by ``line_tables``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from longdoc.extraction.cells import Cell, TableReading, filled, key, same_cell
from longdoc.extraction.headers import Columns, numbers_rows
from longdoc.extraction.line_tables import read_lines
from longdoc.extraction.writing import names_something

_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^[\s|:-]+$")


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def read_tables(items: list[dict[str, Any]], text: str, columns: Columns | None = None) -> TableReading:
    """What the tables of ``text`` hold of the list ``items`` (values of one document's items).
    ``columns`` reads a Markdown table's header for the fields no item gave (``headers``)."""
    if any(isinstance(v, dict | list) and v for item in items for v in item.values()):
        return TableReading(homes=[None] * len(items))  # nested values are not cells
    tables = _tables(text)
    return _read_markdown(items, tables, columns) if tables else read_lines(items, text)


def _tables(text: str) -> list[_Table]:
    """The Markdown tables of ``text``: a header row, a rule, then body rows."""
    tables: list[_Table] = []
    block: list[tuple[Cell, ...]] = []
    last_end = -1
    for match in _ROW.finditer(text):
        if match.start() != last_end + 1:
            _add(tables, block)
            block = []
        if not _RULE.match(match.group(1)):
            block.append(_cells(match.group(1), match.start(1)))
        elif len(block) != 1:  # a rule anywhere but under the header: not this kind of table
            block = []
        last_end = match.end()
    _add(tables, block)
    return tables


def _cells(inside: str, offset: int) -> tuple[Cell, ...]:
    cells, start = [], offset
    for raw in inside.split("|"):
        lead = len(raw) - len(raw.lstrip())
        cells.append(Cell(raw.strip(), start + lead, start + lead + len(raw.strip())))
        start += len(raw) + 1
    return tuple(cells)


def _add(tables: list[_Table], block: list[tuple[Cell, ...]]) -> None:
    if len(block) > 1:
        tables.append(_Table(tuple(c.text for c in block[0]), block[1:]))


def _read_markdown(
    items: list[dict[str, Any]], tables: list[_Table], columns: Columns | None
) -> TableReading:
    found: dict[tuple[str, ...], dict[str, Counter[int | None]]] = defaultdict(lambda: defaultdict(Counter))
    fewest: dict[tuple[str, ...], int] = {}
    given: dict[tuple[str, ...], set[str]] = defaultdict(set)  # the fields items from each header gave
    located: list[tuple[int, int] | None] = []
    for item in items:
        values = filled(item)
        t, r, at = _best_row(values, tables)
        written = key(" ".join(c.text for c in tables[t].rows[r])) if tables else ""
        inside = {n for n, v in values.items() if n not in at and key(v) and key(v) in written}
        if not at and not any(names_something(values[n]) for n in inside):
            located.append(None)  # no cell of a row, nor a name inside one
            continue
        if len(at) + len(inside) < min(2, len(values)):
            located.append(None)  # not read from the tables
            continue
        header = tables[t].header
        located.append((t, r))
        given[header].update(values)
        for name in values.keys() - inside:  # a value inside another's cell has no column of its own
            found[header][name][at.get(name)] += 1
        if len(at) >= min(2, len(values)):  # an item placed by its names alone sets no bar
            fewest[header] = min(fewest.get(header, len(at)), len(at))
    reading, index = TableReading(), {}
    homes = set(located)
    for t, table in enumerate(tables):
        votes = found.get(table.header, {})
        where = _columns(votes)
        # items whose whole cells showed the columns: the other rows are items too
        discover = table.header in fewest
        if columns is not None and table.header in given and (where or not votes):
            taken = _header_columns(table, where, given[table.header], columns)
            where.update(taken)
            if taken and discover:  # a row filling one of the columns read is a total or a note
                fewest[table.header] = max(fewest[table.header], 2)
        for r, row in enumerate(table.rows):
            if not discover and (t, r) not in homes:
                continue  # only the rows the items were placed in are read
            cells = {name: row[c] for name, c in where.items() if c < len(row) and row[c].text}
            need = fewest[table.header] if discover else 1
            if cells and tuple(c.text for c in row) != table.header and len(cells) >= need:
                index[(t, r)] = len(reading.rows)
                reading.rows.append(cells)
    reading.homes = [index.get(at) if at is not None else None for at in located]
    return reading


def _header_columns(
    table: _Table, where: dict[str, int], given: set[str], columns: Columns
) -> dict[str, int]:
    """The columns the header names for the fields no item gave, and for those the items took from
    the rows' numbers (a quantity read from "N°"), where no other field's column is."""
    body = [tuple(c.text for c in row) for row in table.rows]
    counted = {n for n, c in where.items() if numbers_rows([row[c] for row in body if c < len(row)])}
    asked = columns(table.header, body, given - counted)
    return {name: c for name, c in asked.items() if c not in where.values()}


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
    """The table and row holding most of ``values`` as whole cells (else most of its names inside
    its cells), and the columns of the cells."""
    best: tuple[int, int, dict[str, int]] = (0, 0, {})
    most = (0, 0)
    wanted = [k for k in map(key, values.values()) if k]
    named = [key(v) for v in values.values() if names_something(v)]
    for t, table in enumerate(tables):
        for r, row in enumerate(table.rows):
            written = key(" ".join(c.text for c in row))
            if not any(k in written for k in wanted):
                continue
            at: dict[str, int] = {}
            for name, value in values.items():
                column = next((c for c, cell in enumerate(row) if same_cell(value, cell.text)), None)
                if column is not None:
                    at[name] = column
            score = (len(at), sum(k in written for k in named))  # then names written inside cells
            if score > most:
                best, most = (t, r, at), score
                if len(at) == len(values):
                    return best
    return best
