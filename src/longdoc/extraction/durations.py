"""Lengths of time as documents write them: "two (2) years", "18 months", "a 90-day period".

``find_durations`` lists them with their offsets, ``parse_duration`` reads one value, so that a
field asking how long something lasts can be matched to the durations its text writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from longdoc.extraction.writing import alone

_UNITS = ("day", "week", "month", "year")
_ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORDS = {
    **{word: n for n, word in enumerate(_ONES, start=1)},
    **{word: 10 * n for n, word in enumerate(_TENS, start=2)},
}
_COMPOUND = rf"(?:{'|'.join(_TENS)})(?:[\s-]+(?:{'|'.join(_ONES[:9])}))?"  # "twenty-four", "thirty six"
_NUMBER = rf"(?P<number>\d+(?:\.\d+)?|{_COMPOUND}|{'|'.join(sorted(_ONES, key=len, reverse=True))})"
# "two (2) years", "18 months", "ninety (90) calendar days", "a 2-year period", "twenty- four (24) months"
_DURATION = re.compile(
    rf"(?<![\w.]){_NUMBER}\s*(?:\(\s*\d+(?:\.\d+)?\s*\)\s*)?-?\s*(?:calendar\s+|business\s+)?"
    rf"(?P<unit>{'|'.join(_UNITS)})s?\b",
    re.IGNORECASE,
)


class Duration(NamedTuple):
    number: float
    unit: str  # day, week, month or year


def find_durations(text: str) -> Iterator[tuple[Duration, int, int]]:
    """Every length of time written in ``text``: (duration, start, end), in order."""
    for found in _DURATION.finditer(text):
        yield (
            Duration(_number(found.group("number")), found.group("unit").lower()),
            found.start(),
            found.end(),
        )


def parse_duration(value: str) -> Duration | None:
    """The length of time ``value`` is when it is nothing but one; else None."""
    return alone(value, find_durations)


def _number(number: str) -> float:
    number = re.sub(r"[\s-]+", " ", number.lower())
    if number[0].isdigit():
        return float(number)
    return float(sum(_WORDS[word] for word in number.split()))
