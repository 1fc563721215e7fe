"""Values a small model copies from one element of a list to the others.

Reading a table, a small model often repeats one row's value on every row it lists: the only
"10000 mAh" of an invoice lands on all five of its items. Each element of a list of objects has a
home line, the line of the part that holds most of its values (a table row, or the sentence naming
it). A value the text writes only on other elements' home lines, never on the element's own, is
one of theirs: it is set to null (where the schema allows null). A value written once for all the
elements (a note under the table, a header line) is no one's home line, and stays.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from typing import Any

from longdoc.extraction.validation import needed_fields


def unshared(surface: Any, schema: dict[str, Any], text: str) -> Any:
    """``surface`` with, in every list of objects it holds (``surface`` itself, when it is such a
    list), the values copied from other elements' rows set to null."""
    lines = _LineIndex(text)
    return _walk(surface, schema, lines)


def _walk(value: Any, schema: dict[str, Any], lines: _LineIndex) -> Any:
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {
            name: _walk(v, properties.get(name) if isinstance(properties.get(name), dict) else {}, lines)
            for name, v in value.items()
        }
    if isinstance(value, list):
        items = schema.get("items")
        item_schema: dict[str, Any] = items if isinstance(items, dict) else {}
        if len(value) > 1 and all(isinstance(v, dict) for v in value):
            value = _unshared_elements(value, item_schema, lines)
        return [_walk(v, item_schema, lines) for v in value]
    return value


def _unshared_elements(
    elements: list[dict[str, Any]], schema: dict[str, Any], lines: _LineIndex
) -> list[dict[str, Any]]:
    found = [{name: lines.of(v) for name, v in element.items() if _scalar(v)} for element in elements]
    homes = [_home(where) for where in found]
    needed = needed_fields(schema)
    result = []
    for element, where, home in zip(elements, found, homes, strict=True):
        others = {h for h in homes if h is not None and h != home}
        copied = {
            name
            for name, at in where.items()
            if home is not None and name not in needed and at and home not in at and at <= others
        }
        result.append({name: None if name in copied else v for name, v in element.items()})
    return result


def _home(where: dict[str, frozenset[int]]) -> int | None:
    """The one line holding most (at least two) of an element's values, if one does."""
    counts = Counter(line for at in where.values() for line in at).most_common(2)
    if not counts or counts[0][1] < 2 or (len(counts) > 1 and counts[1][1] == counts[0][1]):
        return None
    return counts[0][0]


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip() != ""


class _LineIndex:
    """Which lines of a text write a value (as a whole word or number)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def of(self, value: Any) -> frozenset[int]:
        words = str(value).split()
        pattern = r"[ \t]+".join(re.escape(w) for w in words)
        found = re.finditer(rf"(?<![\w.,]){pattern}(?![\w]|[.,]\d)", self._text, re.IGNORECASE)
        return frozenset(self._line(m.start()) for m in found)

    def _line(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1
