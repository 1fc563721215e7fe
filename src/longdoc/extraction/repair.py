"""Mending a value a small model mis-copied, from the text it was reading.

A small model reading a table row "| HX-410 | Pulse Watch | 12,999元 |" sometimes writes the
model code of an earlier item ("HX-100") while copying the name and price right. When an item's
other values are found on one line and a code-like value (letters and digits) is not, the code
of the same shape on that line ("HX-410": letters, hyphen, digits) is taken instead.

It also misreads dates ("2023-03-18" for a receipt's "28 Mar 18"). A date field the schema
requires (so its value cannot be dropped) that holds a date its part does not write takes the
part's date instead, when the part writes exactly one.

And it drops a number's separators ("598112.00" for "5 981,12 €"). A number field whose value its
part does not write takes the one number the part writes with the same digits in the same order
("5 981,12"), read by the document's conventions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from longdoc.extraction.dates import find_dates
from longdoc.extraction.grounding import Grounding
from longdoc.extraction.normalise import WRITTEN_NUMBER, parse_number

_CODE = re.compile(r"(?=.*\d)(?=.*[^\W\d_])")
# a number as written, its groups parted by a separator or a (narrow, no-break) space
_WRITTEN = re.compile(r"(?<![\d.,])" + WRITTEN_NUMBER.pattern)
MIN_MENDED_DIGITS = 3  # fewer digits are written in too many numbers to tell which one was meant


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


def mend_numbers(
    surface: dict[str, Any],
    sources: list[Grounding],
    text: str,
    offset: int,
    fields: Iterable[str],
    decimal_comma: bool,
) -> list[tuple[str, str, int, int]]:
    """(field, number as written, start, end) for each of the number ``fields`` whose value is
    not found in ``text`` when ``text`` writes one number of other value with the same digits, or
    is found where the text writes its digits as another number (the model's "64322" where the
    text writes "643,22"); offsets as in ``mend_codes``."""
    mended: list[tuple[str, str, int, int]] = []
    for name in fields:
        value = surface.get(name)
        number = parse_number(value, decimal_comma) if isinstance(value, str) else None
        wanted = _digits(number)
        if number is None or len(wanted) < MIN_MENDED_DIGITS:
            continue
        at = next((s for s in sources if s.field == name), None)
        if at is not None:  # found by its digits: the text says where its separators go
            read = parse_number(at.text, decimal_comma)
            if read is not None and read != number and _digits(read) == wanted:
                mended.append((name, at.text, at.start, at.end))
            continue
        written = {
            (
                hit.start(),
                hit.start() + len(hit.group(0).rstrip(".,'’")),
            )  # a full stop after it is not its own
            for hit in _WRITTEN.finditer(text)
            if _digits(read := parse_number(hit.group(0), decimal_comma)) == wanted and read != number
        }
        if len({text[start:end] for start, end in written}) == 1:
            start, end = min(written)
            mended.append((name, text[start:end], offset + start, offset + end))
    return mended


def _digits(number: int | float | None) -> str:
    """The digits a number is written with, without its sign, point or leading and trailing zeros
    of its decimals (5981.12 and 598112 → "598112")."""
    if number is None:
        return ""
    return format(Decimal(str(number)).normalize(), "f").replace(".", "").lstrip("-0")
