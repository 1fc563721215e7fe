"""Dates as documents write them, so that a value the model rewrote can still be found.

A small model asked for an ``effective_date`` often answers "2017-02-10" where the text says
"February 10, 2017" or "10th day of February, 2017". ``parse_date`` reads one value;
``find_dates`` lists the dates written in a text with their offsets, so grounding can match the
two by the day they name. A date starting with its year ("2024-03-01", "2024/03/01",
"2024年3月1日", "二〇二四年三月一日") gives month then day; ``parse_month`` reads a month of a
year ("Sep 2024"). Other numeric dates give the day first in a document written by European
conventions (``day_first``, see ``conventions``) and the month first otherwise, unless the number
read as the month cannot be one. Month names are read in English, German, French, Italian,
Spanish and Dutch ("3. April 2024", "1er mars 2024", "3 de abril de 2024").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from longdoc.extraction.writing import alone

_MONTH_NAMES = (
    ("january", "jan", "januar", "janvier", "gennaio", "enero", "januari"),
    ("february", "feb", "februar", "février", "fevrier", "febbraio", "febrero", "februari"),
    ("march", "mar", "märz", "maerz", "mars", "marzo", "maart"),
    ("april", "apr", "avril", "aprile", "abril"),
    ("may", "mai", "maggio", "mayo", "mei"),
    ("june", "jun", "juni", "juin", "giugno", "junio"),
    ("july", "jul", "juli", "juillet", "luglio", "julio"),
    ("august", "aug", "août", "aout", "agosto", "augustus"),
    ("september", "sep", "sept", "septembre", "settembre", "septiembre"),
    ("october", "oct", "oktober", "octobre", "ottobre", "octubre"),
    ("november", "nov", "novembre", "noviembre"),
    ("december", "dec", "dezember", "décembre", "decembre", "dicembre", "diciembre"),
)
_MONTHS = {name: n for n, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er)?"
_YEAR = r"(?P<year>\d{4})"
_NAMED = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"\b{_MONTH}\s+{_DAY}\s*,?\s*{_YEAR}\b",  # February 10, 2017; April 6th , 2005
        # 10 February 2017, 10th day of February, 2017, 3. April 2024, 3 de abril de 2024
        rf"\b{_DAY}\.?\s+(?:day\s+of\s+|de\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}\b",
        # 28 Mar 18, 28-MAR-2018 (receipts and tickets); not the hour in "28 Mar 18:32"
        rf"\b{_DAY}[\s-]{_MONTH}[\s-](?P<year>\d{{4}}|\d{{2}})\b(?!:)",
        r"\b(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\b",  # 2017-02-10, 2024/03/01
        r"(?P<year>\d{4})\s*[年년]\s*(?P<month>\d{1,2})\s*[月월]\s*(?P<day>\d{1,2})\s*[日일]",  # 2017年2月10日
    )
]
# 二〇二五年一月二十一日: a Chinese date in numerals, as contracts write their signing date
_CN_DIGITS = {c: n for n, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_CN_NUMERALS = re.compile(
    r"(?P<year>[〇零一二三四五六七八九]{4})\s*年\s*(?P<month>[一二三四五六七八九十]{1,2})\s*月"
    r"\s*(?P<day>[一二三四五六七八九十]{1,3})\s*[日号]"
)
# A month of a year, alone: Sep 2024, September, 2024, 09/2024, 2024-09, 2024年9月.
_MONTH_OF_YEAR = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"^{_MONTH},?\s+{_YEAR}$",
        r"^(?P<month>\d{1,2})\s*[/.-]\s*(?P<year>\d{4})$",
        r"^(?P<year>\d{4})\s*[/.-]\s*(?P<month>\d{1,2})$",
        r"^(?P<year>\d{4})\s*[年년]\s*(?P<month>\d{1,2})\s*[月월]$",
    )
]
# 02/10/2017, 2/10/17, 10.02.2017: which number is the day depends on the document. A scan may
# glue the time to the year ("14/03/20185:57:07PM").
_NUMERIC = re.compile(
    r"\b(?P<first>\d{1,2})[/.-](?P<second>\d{1,2})[/.-](?P<year>\d{4}|\d{2})(?:\b|(?<=\d{4})(?=\d{1,2}:\d\d))"
)


def parse_date(value: str, day_first: bool = False) -> date | None:
    """The day ``value`` names when it is nothing but a date; else None."""
    return alone(value, lambda text: find_dates(text, day_first))


def only_date(value: str, day_first: bool = False) -> date | None:
    """The day ``value`` names when it writes one date among other words ("10/03/2018 5:41:06
    PAX NO: 4"); None when it writes none, or several."""
    days = {day for day, _start, _end in find_dates(value, day_first)}
    return days.pop() if len(days) == 1 else None


def parse_month(value: str, day_first: bool = False) -> tuple[int, int] | None:
    """The (year, month) ``value`` names when it is nothing but a month of a year ("Sep 2024",
    "09/2024", "2024年9月") or a date ("2024-09-15"); else None."""
    stripped = value.strip().rstrip(".")
    for pattern in _MONTH_OF_YEAR:
        found = pattern.match(stripped)
        if found is not None:
            month = found.group("month")
            number = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
            return (int(found.group("year")), number) if number is not None and 1 <= number <= 12 else None
    day = parse_date(value, day_first)
    return (day.year, day.month) if day is not None else None


def find_dates(text: str, day_first: bool = False) -> Iterator[tuple[date, int, int]]:
    """Every date written in ``text``: (day, start, end), in no particular order."""
    for pattern in _NAMED:
        for found in pattern.finditer(text):
            when = _date(found.group("year"), found.group("month"), found.group("day"))
            if when is not None:
                yield when, found.start(), found.end()
    for found in _CN_NUMERALS.finditer(text):
        year = "".join(str(_CN_DIGITS[c]) for c in found.group("year"))
        when = _date(year, str(cn_number(found.group("month"))), str(cn_number(found.group("day"))))
        if when is not None:
            yield when, found.start(), found.end()
    for found in _NUMERIC.finditer(text):
        first, second = found.group("first"), found.group("second")
        day, month = (first, second) if day_first else (second, first)
        when = _date(found.group("year"), month, day)
        if when is not None:
            yield when, found.start(), found.end()


def cn_number(numerals: str) -> int:
    """A number below 100 in Chinese numerals: "九" 9, "十二" 12, "二十一" 21, "三十" 30."""
    tens, ten, ones = numerals.partition("十")
    if not ten:
        return _CN_DIGITS[numerals]
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _date(year: str, month: str, day: str) -> date | None:
    y = int(year)
    if y < 100:
        y += 2000 if y < 50 else 1900
    m = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
    d = int(day)
    if m is None:
        return None
    if m > 12 and d <= 12:  # 25/12/2020 read month first: the first number cannot be a month
        m, d = d, m
    try:
        return date(y, m, d)
    except ValueError:
        return None
