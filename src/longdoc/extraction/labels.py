"""Values a document labels itself, which outweigh a small model's choice.

A date field takes the first date the text labels with the words of the field's name
("effective as of January 13, 2020", "November 5, 2004 (the “Effective Date”)" for an
``effective_date``), not the day the contract was signed. An enum field takes the value the
words just before it label best with the field's name and description ("governed by the laws of
the State of California" for a ``jurisdiction``, "the US state whose law governs"), not the
state of incorporation, unless the model's own value is labelled as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from longdoc.extraction.dates import find_dates, parse_date
from longdoc.extraction.evidence import QUOTES, spaced

# Words a field's description shares with any text; the words of a date field's name that say "date".
_PLAIN_STEMS = {"the", "and", "for", "with", "from", "this", "that", "which", "whose", "its", "are", "was", "has"}  # fmt: skip
_DATE_WORDS = {"date", "day", "dated", "on", "of", "the"}


def labelled_span(
    name: str, schema: dict[str, Any], chosen: Any, texts: Sequence[str]
) -> tuple[int, int, int] | None:
    """(text index, start, end) of the value ``texts`` label for the field ``name``, which outweighs
    ``chosen``, the merged answer's value (maybe the same day written otherwise); None when they
    label none better."""
    if schema.get("enum"):
        return _better_choice(name, schema, chosen, texts)
    for position, text in enumerate(texts):
        span = labelled_date(name, text)
        if span is not None:
            return position, *span
    return None


def same_day(chosen: Any, written: str) -> bool:
    day = parse_date(chosen) if isinstance(chosen, str) else None
    return day is not None and day == parse_date(written)


def _better_choice(
    name: str, schema: dict[str, Any], chosen: Any, texts: Sequence[str]
) -> tuple[int, int, int] | None:
    choices = [c for c in schema["enum"] if isinstance(c, str)]
    description = str(schema.get("description", ""))
    best: tuple[int, int, int] | None = None
    top = 0
    for position, text in enumerate(texts):
        each = _labelled_choices(name, description, choices, text)
        if not each:
            continue
        start, end, score = min(each.values(), key=lambda found: (-found[2], found[0]))
        if chosen in each and each[chosen][2] >= score:
            return None  # the model's own choice is labelled as well as any
        if score > top:
            best, top = (position, start, end), score
    return best


def labelled_date(field: str, text: str) -> tuple[int, int] | None:
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
    for _when, start, end in sorted(find_dates(text), key=lambda found: found[1]):
        if before.search(text[max(0, start - 60) : start]) or after.search(text[end : end + 60]):
            return start, end
    return None


def labelled_choice(
    field: str, description: str, choices: Sequence[str], text: str
) -> tuple[str, int, int, int] | None:
    """The occurrence of one of ``choices`` (an enum's values) that the words just before it label
    best: (choice, start, end, how many stems of the field's name and description words they
    share; "governed by the laws of the State of Illinois" for a jurisdiction "whose law
    governs"). The earliest wins a tie; None when no occurrence shares a stem."""
    each = _labelled_choices(field, description, choices, text)
    ranked = sorted(each.items(), key=lambda found: (-found[1][2], found[1][0]))
    return (ranked[0][0], *ranked[0][1]) if ranked else None


def _labelled_choices(
    field: str, description: str, choices: Sequence[str], text: str
) -> dict[str, tuple[int, int, int]]:
    """Each choice's best-labelled occurrence (start, end, score), for the choices with one."""
    stems = {w[:5] for w in re.findall(r"[a-z]{3,}", f"{field.replace('_', ' ')} {description}".lower())}
    stems -= _PLAIN_STEMS
    best: dict[str, tuple[int, int, int]] = {}
    for choice in choices:
        for found in re.finditer(rf"(?<!\w){spaced(choice)}(?!\w)", text):
            before = {
                w[:5]
                for w in re.findall(r"[a-z]{3,}", text[max(0, found.start() - 60) : found.start()].lower())
            }
            score = len(stems & before)
            if score > best.get(choice, (0, 0, 0))[2]:
                best[choice] = (found.start(), found.end(), score)
    return best
