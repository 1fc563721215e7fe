"""Clauses of a contract that label an enum's value or how long the agreement lasts, for the
contracts profile.

An enum field takes the value the words just before it label best with the field's name and
description ("governed by the laws of the State of California" for a ``jurisdiction``, "the US
state whose law governs"), not the state of incorporation, unless the model's own value is
labelled as well. A field asking how long something lasts takes the length of time the clause
before it labels with the field's words ("This Agreement shall terminate two (2) years after …"
for a ``term``, "how long the agreement remains in effect"), not a notice period or a restriction
that runs after the agreement ends; when the text labels none, the model's length of time, which
then names some other period, is dropped. Both rules read legal drafting: a deadline ("within 30
days") is no answer to how long a contract lasts, though it is the answer to an invoice's terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from longdoc.extraction.durations import Duration, find_durations, parse_duration
from longdoc.extraction.profiles.base import Labelled
from longdoc.extraction.writing import spaced

# Words a field's description shares with any text.
_PLAIN_STEMS = {"the", "and", "for", "with", "from", "this", "that", "which", "whose", "its", "are", "was", "has"}  # fmt: skip
_DURATION_ASKED = re.compile(r"\b(?:how\s+long|duration|(?:days|weeks|months|years)\b)", re.IGNORECASE)
_UNIT_STEMS = {"days", "weeks", "month", "years", "numbe"}
# Not how long a thing lasts: a deadline ("within 30 days", "not less than 90 days"), a period
# named ("the seven (7) day revocation period") or one that runs after another ends ("for one year
# thereafter", "two (2) years following the termination of employment").
_NOT_HOW_LONG_BEFORE = re.compile(r"\b(?:within|than|least|the)\s*$", re.IGNORECASE)
_PERIOD_AFTER = re.compile(
    r"\s*(?:thereafter|(?:\w+\s+)?(?:period\s+)?(?:following|after|before|prior\s+to|preceding)\s+"
    r"(?:(?:the|my|your|his|her|its|their|such)\s+)?(?:termination|expiration|separation))",
    re.IGNORECASE,
)
# How far back the words labelling a length of time may stand, within its sentence; how many stems
# they share with the field's words to outweigh the model's length, and to keep it.
_LABEL_REACH = 80
_LENGTH_LABELLED = 2
_LENGTH_KEPT = 1


def labelled_clause(name: str, schema: dict[str, Any], chosen: Any, texts: Sequence[str]) -> Labelled:
    """(text index, start, end) of the enum value or length of time ``texts`` label for the field
    ``name``, which outweighs ``chosen``; ``()`` when ``chosen`` is a length of time they do not
    label with any of the field's words; None when they label none better, or the field is
    neither an enum nor asks how long."""
    if schema.get("enum"):
        return _better_choice(name, schema, chosen, texts)
    if asks_how_long(name, schema):
        return _better_length(name, str(schema.get("description", "")), chosen, texts)
    return None


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
    stems = _stems(f"{field.replace('_', ' ')} {description}") - _PLAIN_STEMS
    best: dict[str, tuple[int, int, int]] = {}
    for choice in choices:
        for found in re.finditer(rf"(?<!\w){spaced(choice)}(?!\w)", text):
            score = len(stems & _stems(text[max(0, found.start() - 60) : found.start()]))
            if score > best.get(choice, (0, 0, 0))[2]:
                best[choice] = (found.start(), found.end(), score)
    return best


def asks_how_long(name: str, schema: dict[str, Any]) -> bool:
    """Whether the field's name or description asks for a length of time."""
    return bool(_DURATION_ASKED.search(f"{name.replace('_', ' ')} {schema.get('description', '')}"))


def labelled_duration(field: str, description: str, text: str) -> tuple[int, int] | None:
    """The span of the length of time that the words before it in its sentence label best with
    the field's name and description, sharing at least two of their stems; not a deadline or a
    period that runs after another ends. The earliest wins a tie; None when none is so labelled."""
    found = _better_length(field, description, None, [text])
    return (found[1], found[2]) if found else None  # no length chosen: never ()


def _better_length(
    name: str, description: str, chosen: Any, texts: Sequence[str]
) -> tuple[int, int, int] | tuple[()] | None:
    length = parse_duration(chosen) if isinstance(chosen, str) else None
    scored = [
        (position, *found)
        for position, text in enumerate(texts)
        for found in _scored_lengths(name, description, text)
    ]
    own = max((score for _p, found, _s, _e, score in scored if found == length), default=-1)
    best: tuple[int, int, int] | None = None
    top = max(own, _LENGTH_LABELLED - 1)
    for position, _length, start, end, score in scored:
        if score > top:
            best, top = (position, start, end), score
    if best is None and length is not None and own < _LENGTH_KEPT:
        return ()  # "within thirty (30) days", "for one year thereafter": not how long it lasts
    return best


def _scored_lengths(field: str, description: str, text: str) -> Iterator[tuple[Duration, int, int, int]]:
    """Each length of time in ``text`` with the number of stems of the field's name and
    description that the words before it in its sentence share; -1 for what is not how long a thing
    lasts."""
    stems = _stems(f"{field.replace('_', ' ')} {description}") - _PLAIN_STEMS - _UNIT_STEMS
    for length, start, end in find_durations(text):
        before = re.split(r"[.;]\s", text[max(0, start - _LABEL_REACH) : start])[-1]
        if _NOT_HOW_LONG_BEFORE.search(before) or _PERIOD_AFTER.match(text, end):
            yield length, start, end, -1
        else:
            yield length, start, end, len(stems & _stems(before))


def _stems(words: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]{3,}", words.lower())}
