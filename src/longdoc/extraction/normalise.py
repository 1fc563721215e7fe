"""Values as written in a document → values of the answer's schema.

Each part is extracted as text ("¥8,999", "12,999元", "1.299,00 €", "24 months"); the final schema
says what a field holds. A number field gets the number the text writes ("12,999元" → 12999,
"24 months" → 24, "5 kg" → 5): the words after it are its unit, which the field's name or
description already says; where that names another unit of the same dimension, the number is
converted to it (``units``: "750 g" in ``weight_kg`` → 0.75, "2 Jahre" in ``warranty_months`` →
24). Only what multiplies an amount counts after it: a word ("3 million",
"1.5万", "2亿", "4 Mio.") always, an abbreviation ("$5k", "€2.5bn", "$3M") only right after an
amount of money, since "m" and "k" after other numbers are units (metres, kilograms…). Which of
"." and "," marks the decimals: the last of the two when both are written; otherwise the
document's conventions decide a lone separator followed by three digits ("1,299" / "1.299").
A string field with ``format: date``, or a description asking for YYYY-MM-DD, gets the ISO date
the value names ("03/04/2024" in a German document → "2024-04-03"; the one date of "Date:
10/03/2018 5:41:06 PAX NO: 4"), one whose description asks
for YYYY-MM the month it names ("Sep 2024" → "2024-09"); a string field the
instruction asks to write as a plain number gets its digits ("8999"). A field holding a currency
(``currencies``) gets the ISO 4217 code its value names ("€" → "EUR"), or else the currency the
document writes its amounts in, which also stands for ``null`` there; other ``null``s stay ``null``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from longdoc.extraction.conventions import Conventions
from longdoc.extraction.currencies import currency_code, wants_currency_code
from longdoc.extraction.dates import only_date, parse_date, parse_month
from longdoc.extraction.schema import kinds_of
from longdoc.extraction.units import in_field_unit

_CURRENCY = re.compile(
    r"(?:US\$|HK\$|NT\$|RMB|CNY|USD|EUR|GBP|JPY|HKD|CHF|yuan|dollars?|euros?|[¥￥$€£₩₹元圆块円]|人民币|美元|欧元|日元)",
    re.IGNORECASE,
)
# A number as documents write it: digits with their separators, a space (plain, no-break or
# narrow) only before a group of three ("1 299,00"). It may end in a separator ("12.", "3,").
WRITTEN_NUMBER = re.compile(r"\d(?:[\d.,'’]|[ \u00a0\u202f](?=\d{3}(?!\d)))*")
_NUMBER = re.compile(r"[-+−]?" + WRITTEN_NUMBER.pattern)
_MULTIPLIER_WORDS = {
    "thousand": 10**3, "million": 10**6, "millions": 10**6, "billion": 10**9, "billions": 10**9,
    "trillion": 10**12, "mio": 10**6, "mrd": 10**9, "millionen": 10**6, "milliarden": 10**9,
    "milliard": 10**9, "milliards": 10**9, "millones": 10**6, "milioni": 10**6, "miliardi": 10**9,
    "miljoen": 10**6, "miljard": 10**9, "万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8,
}  # fmt: skip
_MULTIPLIER_WORD = re.compile(
    r"\s*(" + "|".join(sorted(_MULTIPLIER_WORDS, key=len, reverse=True)) + r")(?![^\W\d_])", re.IGNORECASE
)
_MONEY_SUFFIXES = {"k": 10**3, "m": 10**6, "mn": 10**6, "mm": 10**6, "b": 10**9, "bn": 10**9, "tn": 10**12}
# Right after the amount and not the start of a word: "$5k", "€2.5bn", "$3 M"; not "$5 kg".
_MONEY_SUFFIX = re.compile(r"\s?(k|m|mn|mm|b|bn|tn)(?![^\W\d_])", re.IGNORECASE)


def parse_number(text: Any, decimal_comma: bool = False) -> int | float | None:
    """The number an amount or quantity is written as; None when it holds none. ``decimal_comma``:
    the document writes "1.299" for a thousand and more and "1,299" for one and a fraction."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return text
    value = unicodedata.normalize("NFKC", str(text))
    money = _CURRENCY.search(value) is not None
    value = _CURRENCY.sub(" ", value)
    found = _NUMBER.search(value)
    if found is None:
        return None
    number = _decimal(found.group(0), decimal_comma, money)
    if number is None:
        return None
    rest = value[found.end() :]
    word = _MULTIPLIER_WORD.match(rest)
    suffix = _MONEY_SUFFIX.match(rest) if money else None
    if word is not None:
        number *= _MULTIPLIER_WORDS[word.group(1).lower()]
    elif suffix is not None:
        number *= _MONEY_SUFFIXES[suffix.group(1).lower()]
    return int(number) if number == number.to_integral_value() else float(number)


def _decimal(written: str, decimal_comma: bool, money: bool) -> Decimal | None:
    """The number of digits written with separators ("1.299,00", "1,299.00", "1'299", "-3")."""
    digits = re.sub(r"[\s'’]", "", written).replace("−", "-").rstrip(".,")
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:  # the last separator written marks the decimals
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif commas + dots == 1:  # one separator: decimals, unless it may group thousands ("1,299")
        separator = "," if commas else "."
        head, tail = digits.lstrip("+-").split(separator)
        grouped = len(tail) == 3 and len(head) <= 3 and not head.startswith("0")
        # money has at most two decimals; other numbers group as the document does
        decimal = "" if grouped and (money or (separator == ",") != decimal_comma) else separator
    else:  # none, or repeated: "1,299,000", "1.299.000" group thousands
        decimal = ""
    grouping = {",", "."} - {decimal}
    for separator in grouping:
        digits = digits.replace(separator, "")
    try:
        return Decimal(digits.replace(",", "."))
    except InvalidOperation:
        return None


def wants_iso_date(schema: dict[str, Any]) -> bool:
    """Whether a string field asks for an ISO date: ``format: date``, or a description that
    spells the pattern out ("receipt date, YYYY-MM-DD")."""
    return schema.get("format") == "date" or "YYYY-MM-DD" in str(schema.get("description", "")).upper()


def wants_iso_month(schema: dict[str, Any]) -> bool:
    """Whether a string field's description spells out a month of a year, "YYYY-MM"."""
    return re.search(r"YYYY-MM(?!-DD)", str(schema.get("description", "")).upper()) is not None


def plain_digits(text: Any, decimal_comma: bool = False) -> str | None:
    """A number written without currency or separators, as a string ("¥8,999" → "8999")."""
    number = parse_number(text, decimal_comma)
    if number is None:
        return None if text is None else str(text)
    return str(number)


def conform(
    value: Any,
    schema: dict[str, Any],
    plain: frozenset[str] = frozenset(),
    name: str = "",
    conventions: Conventions = Conventions(),
) -> Any:
    """``value`` (as extracted, strings at the leaves) turned into what ``schema`` asks for, reading
    dates and numbers by the ``conventions`` of the document it came from."""
    kinds = kinds_of(schema)
    currency = "string" in kinds and wants_currency_code(name, str(schema.get("description", "")))
    if value is None:
        return conventions.currency if currency else None
    if "enum" in schema:
        return _enum_member(value, schema["enum"])
    if isinstance(value, list):
        items = schema.get("items", {}) if "array" in kinds or not kinds else {}
        if not kinds or "array" in kinds:
            return [conform(v, items, plain, name, conventions) for v in value if v is not None]
        return conform(value[0], schema, plain, name, conventions) if value else None
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: conform(v, properties.get(k, {}), plain, k, conventions) for k, v in value.items()}
    if kinds & {"number", "integer"} and not isinstance(value, bool):
        number = parse_number(value, conventions.decimal_comma)
        if number is not None and isinstance(value, str):
            number = in_field_unit(value, number, name, str(schema.get("description", "")))
        if number is not None and "integer" in kinds and "number" not in kinds:
            number = round(number)
        return number
    if "boolean" in kinds and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "是", "1"):
            return True
        if lowered in ("false", "no", "否", "0"):
            return False
        return None
    if "array" in kinds:
        return [conform(value, schema.get("items", {}), plain, name, conventions)]
    if isinstance(value, str):
        value = value.strip()
        if name in plain:
            return plain_digits(value, conventions.decimal_comma)
        if currency:
            return currency_code(value, conventions.currency) or conventions.currency or value or None
        if wants_iso_date(schema):
            day = parse_date(value, conventions.day_first) or only_date(value, conventions.day_first)
            return day.isoformat() if day is not None else value or None
        if wants_iso_month(schema):
            month = parse_month(value, conventions.day_first)
            return f"{month[0]:04d}-{month[1]:02d}" if month is not None else value or None
        return value or None
    return str(value) if "string" in kinds else value


def _enum_member(value: Any, members: list[Any]) -> Any:
    if value in members:
        return value
    wanted = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    for member in members:
        if unicodedata.normalize("NFKC", str(member)).casefold() == wanted:
            return member
    return None
