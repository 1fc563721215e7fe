"""A table written as plain lines, read from the layout of the rows the model listed.

A PDF's text layer writes a table as lines of words ("PH-9471 Pulse 16 Limited Edition $577.00").
The items whose values, one after another, make up a whole line teach the layout: the fields'
order, how many words each takes (one field may vary) and the shape of each fixed word (a code
with digits and a hyphen, a price with a currency sign). An item whose value runs into the next
cell ("PH-9471 Pulse 16 Limited Edition" for the model, when the name is "Pulse 16 Limited
Edition") teaches it too, with the overlap given to the other field. Once at least two items agree,
the lines near their rows that fit the layout are rows, each split into the fields' cells; an
item was read from the row that writes one of its fixed-width values and most of the others.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from longdoc.extraction.cells import (
    Cell,
    Row,
    Shape,
    TableReading,
    filled,
    key,
    same_cell,
    shape_of,
)

NEAR_LINES = 6  # a row's distance in lines from the nearest known row: a page's foot, a new header
LONGER = 2  # words the varying field may take beyond the most an item gave it
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class _Found:
    line: int
    order: tuple[str, ...]
    words: tuple[tuple[str, ...], ...]  # each field's words, in order


@dataclass(frozen=True)
class _Layout:
    order: tuple[str, ...]
    widths: tuple[int, ...]  # words per field; 0 for the one that varies
    shapes: tuple[frozenset[tuple[Shape, ...]], ...]
    most: int  # the most words an item gave the varying field

    def split(self, words: list[Cell]) -> Row | None:
        """The line's words as the fields' cells, if the line fits the layout."""
        lengths = list(self.widths)
        if 0 in lengths:
            middle = len(words) - sum(lengths)
            if not 1 <= middle <= self.most + LONGER:
                return None
            lengths[lengths.index(0)] = middle
        elif sum(lengths) != len(words):
            return None
        cells, start = {}, 0
        for name, length, shapes in zip(self.order, lengths, self.shapes, strict=True):
            part = words[start : start + length]
            if shapes and shape_of(w.text for w in part) not in shapes:
                return None
            cells[name] = Cell(" ".join(w.text for w in part), part[0].start, part[-1].end)
            start += length
        return cells


def read_lines(items: list[dict[str, Any]], text: str) -> TableReading:
    """The rows of ``text``'s lines laid out as a table the items were read from."""
    lines = [
        [Cell(m.group(), m.start(), m.end()) for m in _WORD.finditer(text, line.start(), line.end())]
        for line in re.finditer(r"[^\n]+", text)
    ]
    words = [[w.text for w in line] for line in lines]
    keys = [key(" ".join(line)) for line in words]
    found = [f for item in items if (f := _found(filled(item), words, keys)) is not None]
    layout = _learn(found)
    if layout is None:
        return TableReading(homes=[None] * len(items))
    rows = {f.line: cells for f in found if (cells := layout.split(lines[f.line])) is not None}
    near = [False] * len(lines)
    for n in rows:
        _mark(near, n)
    grown = True
    while grown:  # outwards from the known rows, so that only the tables they are in are read
        grown = False
        for n, line in enumerate(lines):
            if near[n] and n not in rows and (cells := layout.split(line)) is not None:
                rows[n], grown = cells, True
                _mark(near, n)
    ordered = [rows[n] for n in sorted(rows)]
    row_keys = [keys[n] for n in sorted(rows)]
    return TableReading(ordered, [_home(item, ordered, row_keys, layout) for item in items])


def _mark(near: list[bool], n: int) -> None:
    """Marks the lines near line ``n``."""
    for m in range(max(0, n - NEAR_LINES), min(len(near), n + NEAR_LINES + 1)):
        near[m] = True


def _learn(found: list[_Found]) -> _Layout | None:
    """The layout most items were found in: the order of the most fields that two items give and
    more than half agree with (an item giving some of those fields in that order, its price left
    out, agrees); the number of words each field most often takes, except the one whose number
    varies most. Items that disagree are left out of it; at least two, and half of those in that
    order, must agree."""
    orders = Counter(f.order for f in found)
    order = next(
        (
            o
            for o in sorted(orders, key=lambda o: (-len(o), -orders[o]))
            if orders[o] >= 2 and 2 * sum(n for p, n in orders.items() if _within(p, o)) > len(found)
        ),
        (),
    )
    if len(order) < 2:
        return None
    agreeing = [f for f in found if f.order == order]
    commonest = [Counter(len(f.words[i]) for f in agreeing).most_common(1)[0] for i in range(len(order))]
    least = min(range(len(order)), key=lambda i: commonest[i][1])
    varying = least if commonest[least][1] < len(agreeing) else None
    widths = tuple(0 if i == varying else width for i, (width, _) in enumerate(commonest))
    fitting = [
        f for f in agreeing if all(not w or len(words) == w for w, words in zip(widths, f.words, strict=True))
    ]
    if len(fitting) < 2 or len(fitting) * 2 < len(agreeing) or len(order) - (varying is not None) < 2:
        return None
    return _Layout(
        order,
        widths,
        tuple(
            frozenset() if not w else frozenset(shape_of(f.words[i]) for f in fitting)
            for i, w in enumerate(widths)
        ),
        max(len(f.words[varying]) for f in fitting) if varying is not None else 0,
    )


def _within(order: tuple[str, ...], wider: tuple[str, ...]) -> bool:
    """Whether ``order``'s fields come in ``wider`` in the same order."""
    rest = iter(wider)
    return all(name in rest for name in order)


def _found(values: dict[str, str], lines: list[list[str]], keys: list[str]) -> _Found | None:
    """The first line ``values`` make up whole, one after another — as given, or with a value
    that runs into another's words cut back to its own (``None`` if none does). Only lines
    writing the longest value (``keys``: the lines' letters and digits) are tried."""
    if len(values) < 2:
        return None
    longest = max((key(v) for v in values.values()), key=len)
    candidates = [n for n, k in enumerate(keys) if longest in k]
    for candidate in [values, *_without_overlaps(values)]:
        for n in candidates:
            words = lines[n]
            if len(words) >= len(candidate):
                cover = _cover(words, 0, candidate)
                if cover is not None:
                    return _Found(n, tuple(name for name, _ in cover), tuple(w for _, w in cover))
    return None


def _without_overlaps(values: dict[str, str]) -> list[dict[str, str]]:
    """``values`` with one value that begins or ends with another's words (written the same way,
    ``same_cell``: "¥588" ends "2TB ¥588" for a price of 588) cut back to the rest."""
    variants = []
    for name, value in values.items():
        words = value.split()
        for other, within in values.items():
            width = len(within.split())
            if other == name or width >= len(words):
                continue
            if same_cell(within, " ".join(words[-width:])):
                variants.append({**values, name: " ".join(words[:-width])})
            elif same_cell(within, " ".join(words[:width])):
                variants.append({**values, name: " ".join(words[width:])})
    return variants


def _cover(words: list[str], start: int, left: dict[str, str]) -> list[tuple[str, tuple[str, ...]]] | None:
    """Each value of ``left`` as the next words of ``words`` from ``start`` to the end, in some order."""
    if start == len(words):
        return [] if not left else None
    for name, value in left.items():
        for end in range(start + 1, len(words) + 1):
            if same_cell(value, " ".join(words[start:end])):
                rest = _cover(words, end, {k: v for k, v in left.items() if k != name})
                if rest is not None:
                    return [(name, tuple(words[start:end])), *rest]
    return None


def _home(item: dict[str, Any], rows: list[Row], keys: list[str], layout: _Layout) -> int | None:
    """The row an item was read from: one of its fixed-width values is that row's cell, and more
    of its values are in the row (``keys``: the rows' letters and digits) than in any other."""
    values = filled(item)
    wanted = [k for k in map(key, values.values()) if k]
    fixed = [
        name for name, width in zip(layout.order, layout.widths, strict=True) if width and name in values
    ]
    inside = [sum(k in row_key for k in wanted) for row_key in keys]
    likely = sorted(
        (n for n, count in enumerate(inside) if count * 2 >= len(values)), key=lambda n: -inside[n]
    )
    return next((n for n in likely if any(same_cell(values[f], rows[n][f].text) for f in fixed)), None)
