"""Values as written in a document → values of the answer's schema.

Each part is extracted as text ("¥8,999", "12,999元", "RMB 1.299,00"); the final schema says what
a field holds. A number field gets the number ("12,999元" → 12999); a string field the instruction
asks to write as a plain number gets its digits ("8999"); ``null`` stays ``null``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_CURRENCY = re.compile(
    r"(?:US\$|HK\$|NT\$|RMB|CNY|USD|EUR|GBP|JPY|HKD|yuan|dollars?|euros?|[¥￥$€£₩₹元圆块円]|人民币|美元|欧元|日元)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"[-+]?\d[\d,\s']*(?:\.\d+)?")
_MULTIPLIER = {"万": 10_000, "亿": 100_000_000, "k": 1_000, "m": 1_000_000}


def parse_number(text: Any) -> int | float | None:
    """The number a price or amount is written as; None when it holds none."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return text
    value = unicodedata.normalize("NFKC", str(text))
    value = _CURRENCY.sub(" ", value).strip()
    found = _NUMBER.search(value)
    if found is None:
        return None
    digits = re.sub(r"[\s,']", "", found.group(0))
    try:
        number: float = float(digits)
    except ValueError:
        return None
    after = value[found.end() :].strip()[:1].lower()
    number *= _MULTIPLIER.get(after, 1)
    return int(number) if number == int(number) else number


def plain_digits(text: Any) -> str | None:
    """A number written without currency or separators, as a string ("¥8,999" → "8999")."""
    number = parse_number(text)
    if number is None:
        return None if text is None else str(text)
    return str(number)


def conform(value: Any, schema: dict[str, Any], plain: frozenset[str] = frozenset(), name: str = "") -> Any:
    """``value`` (as extracted, strings at the leaves) turned into what ``schema`` asks for."""
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind} if kind else set()
    if value is None:
        return None
    if "enum" in schema:
        return _enum_member(value, schema["enum"])
    if isinstance(value, list):
        items = schema.get("items", {}) if "array" in kinds or not kinds else {}
        if not kinds or "array" in kinds:
            return [conform(v, items, plain, name) for v in value if v is not None]
        return conform(value[0], schema, plain, name) if value else None
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: conform(v, properties.get(k, {}), plain, k) for k, v in value.items()}
    if kinds & {"number", "integer"} and not isinstance(value, bool):
        number = parse_number(value)
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
        return [conform(value, schema.get("items", {}), plain, name)]
    if isinstance(value, str):
        value = value.strip()
        if name in plain:
            return plain_digits(value)
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
