"""Lengths of time as documents write them: "two (2) years", "18 months", "a 90-day period", "18个月".

``find_durations`` lists them with their offsets, ``parse_duration`` reads one value, so that a
field asking how long something lasts can be matched to the durations its text writes.
``with_units`` gives a text field the model answered with a bare number ("18") the unit its text
writes after that number ("18个月"): without it, the value no longer says how long.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from longdoc.extraction.dates import cn_number
from longdoc.extraction.schema import kinds_of
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

# "18个月", "180天", "3年", "两年", "十八个月": a number before a CJK unit; not a date's "2024年3月",
# "3月15日", "三月十日", nor a year ("2024年", "二〇二四年")
_CJK_NUMERALS = "〇零一二两三四五六七八九十"
_CJK_DURATION = re.compile(
    rf"(?<![\d.月{_CJK_NUMERALS}])(?!\d{{4}}\s*年)"
    r"(?P<number>\d+(?:\.\d+)?|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九])"
    r"\s*(?P<unit>个月|個月|天|日|周|週|星期|年)(?![\d度])"
)
_CJK_UNITS = {"个月": "month", "個月": "month", "天": "day", "日": "day", "周": "week", "週": "week",
              "星期": "week", "年": "year"}  # fmt: skip
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class Duration(NamedTuple):
    number: float
    unit: str  # day, week, month or year


def find_durations(text: str) -> Iterator[tuple[Duration, int, int]]:
    """Every length of time written in ``text``: (duration, start, end), in order."""
    found = [
        (Duration(_number(m.group("number")), m.group("unit").lower()), m.start(), m.end())
        for m in _DURATION.finditer(text)
    ]
    found += [
        (Duration(_cjk_number(m.group("number")), _CJK_UNITS[m.group("unit")]), m.start(), m.end())
        for m in _CJK_DURATION.finditer(text)
    ]
    yield from sorted(found, key=lambda d: d[1])


def parse_duration(value: str) -> Duration | None:
    """The length of time ``value`` is when it is nothing but one; else None."""
    return alone(value, find_durations)


def _cjk_number(number: str) -> float:
    return float(number) if number[0].isdigit() else float(cn_number(number))


def _number(number: str) -> float:
    number = re.sub(r"[\s-]+", " ", number.lower())
    if number[0].isdigit():
        return float(number)
    return float(sum(_WORDS[word] for word in number.split()))


def with_units(surface: Any, schema: dict[str, Any], text: str) -> Any:
    """``surface`` (a part's answer) with each text field of ``schema`` that holds only a number
    written as the length of time ``text`` gives for it, when ``text`` writes that number with
    one unit only ("18" → "18个月", "24" → "24 months")."""
    if isinstance(surface, list):
        return [with_units(v, schema.get("items", {}), text) for v in surface]
    if not isinstance(surface, dict):
        return surface
    properties = schema.get("properties", {})
    fixed = dict(surface)
    for name, value in surface.items():
        sub = properties.get(name, {})
        if isinstance(value, list | dict):
            fixed[name] = with_units(value, sub, text)
        elif isinstance(value, str) and _text_only(sub) and _BARE_NUMBER.fullmatch(value.strip()):
            fixed[name] = _written(float(value), text) or value
    return fixed


def _text_only(schema: Any) -> bool:
    kinds = kinds_of(schema) if isinstance(schema, dict) else set()
    return "string" in kinds and not kinds & {"number", "integer"} and "enum" not in schema


def _written(number: float, text: str) -> str | None:
    spans = [(d.unit, text[start:end]) for d, start, end in find_durations(text) if d.number == number]
    if len({unit for unit, _ in spans}) != 1:
        return None
    return " ".join(spans[0][1].split())
