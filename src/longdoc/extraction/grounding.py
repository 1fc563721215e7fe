"""Where in the parsed text an extracted value was written: exact match first, then fuzzy.

Like LangExtract's resolver, values are aligned to the source text rather than trusted. Both
sides are normalised the same way, character by character so every position maps back to the
original: NFKC (full-width "ＡＢ１" reads as "AB1"), case folded, runs of whitespace and table
bars as one space, and commas between digits dropped ("8,999" matches "8999"). A value found
verbatim is ``exact``. Otherwise the value's tokens — words for alphabetic scripts, single
characters for Chinese and Japanese — are looked for in a window of a few more text tokens; the
first window holding the largest share of them (at least ``threshold``) is a ``fuzzy`` match, trimmed
to its first and last matching tokens. A date the model rewrote ("2017-02-10") is a ``fuzzy`` match of
the first date in the text naming the same day ("February 10, 2017"), its numeric dates read by the
document's conventions ("03/04/2024" is 3 April in a German text).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from longdoc.extraction.dates import find_dates, parse_date
from longdoc.extraction.normalise import parse_number

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_SPACE_LIKE = set(" \t\r\n\f\v|\u00a0\u3000")
_DIGIT_SEPARATORS = set(",，'")

# A value that is only a number, and numbers as documents write them (separators, decimals)
_PLAIN_NUMBER = re.compile(r"[-+]?\d[\d,.' ]*")
_WRITTEN_NUMBER = re.compile(
    r"(?<![\w.,])\d{1,3}(?:[,.' ]\d{3})*(?:[.,]\d+)?(?![\w]|[.,]\d)|(?<![\w.,])\d+(?:[.,]\d+)?(?![\w]|[.,]\d)"
)

Match = Literal["exact", "fuzzy"]


@dataclass(frozen=True)
class Span:
    start: int  # offsets into the text given to ``NormalisedText``
    end: int
    match: Match


@dataclass(frozen=True)
class Grounding:
    """Where a field's value (or one element of a list field) is written in a document."""

    field: str
    file_id: str  # the file's id, or the document's key in the request for one given as text or URL
    page: int | None
    start: int  # character offsets into the document's parsed text
    end: int
    text: str  # the text there, as written
    match: Match
    value: str | None = None  # the list element it grounds; None: the field's whole value

    def wire(self) -> dict[str, object]:
        """As an item's ``_source`` entry."""
        return {
            "field": self.field,
            "file_id": self.file_id,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "match": self.match,
        }


class NormalisedText:
    """A text normalised for matching, with the original offset of every normalised character."""

    def __init__(self, text: str) -> None:
        self.original = text
        chars: list[str] = []
        offsets: list[int] = []
        for i, c in enumerate(text):
            if c in _SPACE_LIKE or c.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    offsets.append(i)
                continue
            if (
                c in _DIGIT_SEPARATORS
                and 0 < i < len(text) - 1
                and text[i - 1].isdigit()
                and text[i + 1].isdigit()
            ):
                continue
            for n in unicodedata.normalize("NFKC", c).casefold():
                chars.append(n)
                offsets.append(i)
        self.text = "".join(chars)
        self.offsets = offsets
        self.tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(self.text)]

    def span(self, start: int, end: int, match: Match) -> Span:
        """The original span of normalised ``[start, end)``."""
        return Span(self.offsets[start], self.offsets[end - 1] + 1, match)


def normalise(value: str) -> str:
    return NormalisedText(value).text.strip()


def align(
    value: str,
    text: NormalisedText,
    threshold: float = 0.75,
    day_first: bool = False,
    decimal_comma: bool = False,
) -> Span | None:
    """Where ``value`` sits in ``text``; None when neither an exact nor a fuzzy match exists."""
    wanted = normalise(value)
    if not wanted:
        return None
    at = text.text.find(wanted)
    while at >= 0:
        if _whole_words(text.text, at, at + len(wanted)):
            return text.span(at, at + len(wanted), "exact")
        at = text.text.find(wanted, at + 1)
    day = parse_date(value, day_first)
    if day is not None:
        written = min(
            ((start, end) for when, start, end in find_dates(text.original, day_first) if when == day),
            default=None,
        )
        return Span(*written, "fuzzy") if written else None
    if _PLAIN_NUMBER.fullmatch(value.strip()):
        return _same_number(value, text.original, decimal_comma)
    return _fuzzy(wanted, text, threshold)


def _same_number(value: str, text: str, decimal_comma: bool) -> Span | None:
    """The first number written in ``text`` with the value of ``value`` ("129.3" in "129.30",
    "1299" in "1.299,00" of a document with decimal commas)."""
    wanted = parse_number(value, decimal_comma)
    for found in _WRITTEN_NUMBER.finditer(text):
        if parse_number(found.group(0), decimal_comma) == wanted:
            return Span(found.start(), found.end(), "fuzzy")
    return None


def _whole_words(text: str, start: int, end: int) -> bool:
    """Whether ``[start, end)`` neither starts nor ends inside a word ("1" is not found in "X100")."""

    def joined(a: str, b: str) -> bool:
        return _wordy(a) and _wordy(b)

    before = start > 0 and joined(text[start - 1], text[start])
    after = end < len(text) and joined(text[end - 1], text[end])
    return not (before or after)


def _wordy(c: str) -> bool:
    return c.isalnum() and not _CJK_CHAR.match(c)


def _fuzzy(wanted: str, text: NormalisedText, threshold: float) -> Span | None:
    needed = Counter(t for t, _, _ in (m for m in _tokens(wanted)))
    size = sum(needed.values())
    tokens = text.tokens
    if size == 0 or not tokens:
        return None
    # a little wider than the value: a fuzzy match may hold a few extra words ("two (2) years")
    width = min(size + max(2, size // 2), len(tokens))
    window: Counter[str] = Counter()
    common = 0
    best, best_at = 0, -1
    for i, (token, _, _) in enumerate(tokens):
        if window[token] < needed[token]:
            common += 1
        window[token] += 1
        if i >= width:
            gone = tokens[i - width][0]
            window[gone] -= 1
            if window[gone] < needed[gone]:
                common -= 1
        if common > best:
            best, best_at = common, i
    if best / size < threshold:
        return None
    first = max(best_at - width + 1, 0)
    matching = [j for j in range(first, best_at + 1) if tokens[j][0] in needed]
    return text.span(tokens[matching[0]][1], tokens[matching[-1]][2], "fuzzy")


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def leaves(value: Any) -> Iterator[str]:
    """The strings and numbers a value holds, at any depth, as text."""
    if isinstance(value, str):
        if value.strip():
            yield value
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)
