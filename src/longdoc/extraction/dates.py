"""Dates as documents write them, so that a value the model rewrote can still be found.

A small model asked for an ``effective_date`` often answers "2017-02-10" where the text says
"February 10, 2017" or "10th day of February, 2017". ``parse_date`` reads one value;
``find_dates`` lists the dates written in a text with their offsets, so grounding can match the
two by the day they name. Numeric dates are read month first (US style) unless the first
number cannot be a month.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from longdoc.extraction.writing import alone

_MONTHS = {
    name: n
    for n, names in enumerate(
        (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")),
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"\b{_MONTH}\s+{_DAY}\s*,?\s*{_YEAR}\b",  # February 10, 2017; April 6th , 2005
        rf"\b{_DAY}\s+(?:day\s+of\s+)?{_MONTH},?\s+{_YEAR}\b",  # 10 February 2017, 10th day of February, 2017
        r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b",  # 2017-02-10
        r"\b(?P<month>\d{1,2})[/.-](?P<day>\d{1,2})[/.-](?P<year>\d{4}|\d{2})\b",  # 02/10/2017, 2/10/17
        r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日",  # 2017年2月10日
    )
]


def parse_date(value: str) -> date | None:
    """The day ``value`` names when it is nothing but a date; else None."""
    return alone(value, find_dates)


def find_dates(text: str) -> Iterator[tuple[date, int, int]]:
    """Every date written in ``text``: (day, start, end), in no particular order."""
    for pattern in _PATTERNS:
        for found in pattern.finditer(text):
            when = _date(found.group("year"), found.group("month"), found.group("day"))
            if when is not None:
                yield when, found.start(), found.end()


def _date(year: str, month: str, day: str) -> date | None:
    y = int(year)
    if y < 100:
        y += 2000 if y < 50 else 1900
    m = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
    d = int(day)
    if m is None:
        return None
    if m > 12 and d <= 12:  # 25/12/2020: day first
        m, d = d, m
    try:
        return date(y, m, d)
    except ValueError:
        return None
