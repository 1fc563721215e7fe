"""Mending a value a small model mis-copied, from the text it was reading.

A small model reading a table row "| HX-410 | Pulse Watch | 12,999元 |" sometimes writes the
model code of an earlier item ("HX-100") while copying the name and price right. When an item's
other values are found on one line and a code-like value (letters and digits) is not, the code
of the same shape on that line ("HX-410": letters, hyphen, digits) is taken instead.

It also misreads dates ("2023-03-18" for a receipt's "28 Mar 18"). A date field the schema
requires (so its value cannot be dropped) that holds a date its part does not write takes the
part's date instead, when the part writes exactly one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from longdoc.extraction.dates import find_dates
from longdoc.extraction.grounding import Grounding

_CODE = re.compile(r"(?=.*\d)(?=.*[^\W\d_])")


def shape(value: str) -> re.Pattern[str] | None:
    """A pattern for strings written like ``value`` ("HX-100" → letters, "-", digits)."""
    if not _CODE.match(value) or len(value) > 40:
        return None
    parts: list[str] = []
    for run in re.finditer(r"[A-Za-z]+|\d+|\s+|.", value):
        text = run.group(0)
        if text.isalpha():
            parts.append("[A-Za-z]+")
        elif text.isdigit():
            parts.append(r"\d+")
        elif text.isspace():
            parts.append(r"\s*")
        else:
            parts.append(re.escape(text))
    return re.compile(r"(?<![\w-])" + "".join(parts) + r"(?![\w-])")


def line_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The line of ``text`` holding ``[start, end)``."""
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    return first, len(text) if last < 0 else last


def mend_codes(
    surface: dict[str, Any], sources: list[Grounding], text: str, offset: int
) -> list[tuple[str, str, int, int]]:
    """(field, code, start, end) for each ungrounded code-like field whose item's other values sit
    on one line holding exactly one code of its shape; offsets as in ``sources`` (``text`` starts
    at ``offset``)."""
    found = {s.field for s in sources}
    lines = {line_around(text, s.start - offset, s.end - offset) for s in sources}
    if len(lines) != 1:
        return []
    first, last = lines.pop()
    mended: list[tuple[str, str, int, int]] = []
    for name, value in surface.items():
        if name in found or not isinstance(value, str):
            continue
        pattern = shape(value.strip())
        if pattern is None:
            continue
        hits = list(pattern.finditer(text, first, last))
        if len(hits) == 1:
            hit = hits[0]
            mended.append((name, hit.group(0), offset + hit.start(), offset + hit.end()))
    return mended


def mend_dates(
    surface: dict[str, Any],
    sources: list[Grounding],
    text: str,
    offset: int,
    fields: Iterable[str],
    day_first: bool,
) -> list[tuple[str, str, int, int]]:
    """(field, date as written, start, end) for each of the required date ``fields`` whose value
    is not found in ``text`` when ``text`` writes exactly one date; offsets as in ``mend_codes``."""
    found = {s.field for s in sources}
    wrong = [n for n in fields if n not in found and isinstance(surface.get(n), str) and surface[n].strip()]
    if not wrong:
        return []
    written: dict[date, tuple[int, int]] = {}
    for day, start, end in find_dates(text, day_first):
        written.setdefault(day, (start, end))
    if len(written) != 1:
        return []
    ((start, end),) = written.values()
    return [(name, text[start:end], offset + start, offset + end) for name in wrong]
