"""Dates a document labels itself, which outweigh a small model's choice.

A date field takes the first date the text labels with the words of the field's name other than
"date" ("Effective Date: 2020-05-04", "effective as of January 13, 2020", "November 5, 2004 (the
“Effective Date”)" for an ``effective_date``; "Invoice date: 03/04/2024" for an
``invoice_date``), not another day the text writes (the day a contract was signed, a due date).
The label comes from the caller's field name, so the rule holds for any schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from longdoc.extraction.dates import find_dates, parse_date
from longdoc.extraction.writing import QUOTES

# The words of a date field's name that say "date".
_DATE_WORDS = {"date", "day", "dated", "on", "of", "the"}


def labelled_span(
    name: str, schema: dict[str, Any], texts: Sequence[str], day_first: Sequence[bool]
) -> tuple[int, int, int] | None:
    """(text index, start, end) of the date ``texts`` label for the field ``name`` (each text's
    numeric dates read day first or not, by ``day_first``); None when they label none or the
    field holds no free text."""
    kind = schema.get("type", "string")
    if schema.get("enum") or "string" not in (kind if isinstance(kind, list) else [kind]):
        return None
    for position, text in enumerate(texts):
        span = labelled_date(name, text, day_first[position])
        if span is not None:
            return position, *span
    return None


def same_day(chosen: Any, written: str, day_first: bool = False) -> bool:
    day = parse_date(chosen, day_first) if isinstance(chosen, str) else None
    return day is not None and day == parse_date(written, day_first)


def labelled_date(field: str, text: str, day_first: bool = False) -> tuple[int, int] | None:
    """The span of the first date ``text`` labels with the words of the field's name other than
    "date": right after them ("Effective Date: …", "effective as of the …") or in a parenthesis
    right after the date ("… (the “Effective Date”)"). None when the field is not named for a
    date or its name has no other word."""
    split = [w for w in re.split(r"[\W_]+|(?<=[a-z])(?=[A-Z])", field) if w]
    words = [w for w in split if w.lower() not in _DATE_WORDS]
    if not words or len(words) == len(split):
        return None
    label = r"\s+".join(re.escape(w) for w in words)
    before = re.compile(
        rf"\b{label}(?:\s+dated?)?\s*[:,]?\s*(?:is\s+)?(?:(?:as\s+)?(?:of|on|from)\s+)?(?:the\s+)?$",
        re.IGNORECASE,
    )
    after = re.compile(rf"^\s*,?\s*[(（]\s*(?:the\s+|this\s+)?[{QUOTES}]?\s*{label}\b", re.IGNORECASE)
    for _when, start, end in sorted(find_dates(text, day_first), key=lambda found: found[1]):
        if before.search(text[max(0, start - 60) : start]) or after.search(text[end : end + 60]):
            return start, end
    return None
