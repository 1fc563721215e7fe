"""The rest of a table the model was listing, read from the columns its items came from.

A small model listing a long table stops early or skips rows. The items it listed from a part's
Markdown tables (two or more of their values are cells of one row) show which column each field
comes from: the one most of them took it from. The other rows of tables under the same header are
items of the same kind, each made of those columns' cells. A row filling fewer of the columns
than every listed item did (a total, a note) is not an item. Nothing is added under a header when
a field was mostly not a cell of its item's row: the model took it from elsewhere, and the other
rows cannot give it.

A table a PDF's text layer writes as plain lines ("PH-9471 Pulse 16 Limited Edition $577.00") is
read the same way from its lines: the items whose values, in one order, make up a whole line teach
the layout — the fields' order, how many words each takes (one field may vary) and the shape of
each fixed word (a code with digits, a price with a currency sign). Lines near those rows that fit
the layout are the other rows.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^[\s|:-]+$")
_NOT_WORD = re.compile(r"[\W_]+")
_EDGE = re.compile(r"(\W*)(.*?)(\W*)", re.DOTALL)
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
        if any(isinstance(v, dict | list) and v for item in surface for v in item.values()):
            return surface  # nested values are not cells
        tables = _tables(text)
        return surface + (_missing_rows(surface, tables) if tables else line_rows(surface, text))
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
        filled = _filled(item)
        t, r, at = _best_row(filled, tables)
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


def _filled(item: dict[str, Any]) -> dict[str, str]:
    return {name: str(v) for name, v in item.items() if v not in (None, "", [])}


NEAR_LINES = 6  # a row's distance in lines from the nearest known row: a page's foot and a new header


@dataclass(frozen=True)
class _Layout:
    line: int
    order: tuple[str, ...]
    words: tuple[tuple[str, ...], ...]  # each field's words, in order


def line_rows(items: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Items for the lines of ``text`` laid out like the lines ``items`` make up whole."""
    lines = [line.split() for line in text.splitlines()]
    found = [layout for item in items if (layout := _layout(_filled(item), lines)) is not None]
    orders = Counter(layout.order for layout in found)
    if not orders:
        return []
    order, count = orders.most_common(1)[0]
    if count < 2 or count * 2 <= len(found) or len(order) < 2:
        return []
    found = [layout for layout in found if layout.order == order]
    widths = [{len(layout.words[f]) for layout in found} for f in range(len(order))]
    varying = [f for f, w in enumerate(widths) if len(w) > 1]
    fixed = [f for f, w in enumerate(widths) if len(w) == 1]
    if len(varying) > 1 or len(fixed) < 2:
        return []  # two fields of varying length: a line splits more than one way
    shapes = [{tuple(map(_shape, layout.words[f])) for layout in found} for f in range(len(order))]
    most = max((len(layout.words[varying[0]]) for layout in found), default=0) if varying else 0
    rows = {layout.line for layout in found}
    added: list[dict[str, Any]] = []
    grown = True
    while grown:  # outwards from the known rows, so that only the tables they are in are read
        grown = False
        for n, words in enumerate(lines):
            if n in rows or not any(abs(n - r) <= NEAR_LINES for r in rows):
                continue
            split = _split(words, widths, varying, most)
            if split is not None and all(
                f in varying or tuple(map(_shape, split[f])) in shapes[f] for f in range(len(order))
            ):
                rows.add(n)
                added.append({name: " ".join(split[f]) for f, name in enumerate(order)})
                grown = True
    return added


def _layout(filled: dict[str, str], lines: list[list[str]]) -> _Layout | None:
    """The first line ``filled``'s values make up whole, one after another (``None`` if none
    does, or it has fewer than two values)."""
    if len(filled) < 2:
        return None
    for n, words in enumerate(lines):
        if len(words) >= len(filled):
            cover = _cover(words, 0, filled)
            if cover is not None:
                return _Layout(n, tuple(name for name, _ in cover), tuple(w for _, w in cover))
    return None


def _cover(words: list[str], start: int, left: dict[str, str]) -> list[tuple[str, tuple[str, ...]]] | None:
    if start == len(words):
        return [] if not left else None
    for name, value in left.items():
        for end in range(start + 1, len(words) + 1):
            if _same(value, " ".join(words[start:end])):
                rest = _cover(words, end, {k: v for k, v in left.items() if k != name})
                if rest is not None:
                    return [(name, tuple(words[start:end])), *rest]
    return None


def _split(words: list[str], widths: list[set[int]], varying: list[int], most: int) -> list[list[str]] | None:
    """``words`` cut into the fields' words: the fixed widths, and the varying field (at most two
    words longer than the longest seen) taking what is left."""
    lengths = [0 if f in varying else next(iter(w)) for f, w in enumerate(widths)]
    if varying:
        middle = len(words) - sum(lengths)
        if not 1 <= middle <= most + 2:
            return None
        lengths[varying[0]] = middle
    elif sum(lengths) != len(words):
        return None
    parts, start = [], 0
    for length in lengths:
        parts.append(words[start : start + length])
        start += length
    return parts


def _shape(word: str) -> tuple[str, str, bool, bool, frozenset[str]]:
    """What a word is made of: the marks before and after it, whether it has letters and digits,
    and the marks inside it other than a number's separators ("-" in "PH-9471")."""
    lead, core, tail = _EDGE.fullmatch(word).groups()  # type: ignore[union-attr]
    inner = frozenset(ch for ch in core if not ch.isalnum() and ch not in ",.")
    return lead, tail, any(ch.isalpha() for ch in core), any(ch.isdigit() for ch in core), inner
