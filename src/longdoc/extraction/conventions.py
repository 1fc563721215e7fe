"""How a document writes numeric dates and decimal numbers, read from the document itself.

"03/04/2024" is 4 March in a US document and 3 April in a German, French, Italian, Spanish or
Dutch one; "1.299" is one and a fraction in the first and a thousand and more in the others. The
document's own unambiguous writing decides first: a date whose first number cannot be a month
("25/12/2023"), a date written with dots ("03.04.2024", a European habit), an amount grouped with
dots and ending in a decimal comma ("1.299,00"). The two habits go together, so a document that
shows one ("347,67 €") but writes only ambiguous dates ("12/04/2024") reads them day first. When
it shows neither, its language decides: more of the common words of those five languages than of
English's means European conventions. Above all of that, the caller's own words decide: an
instruction or a field description that says how the documents write dates ("dates are printed
day first", "DD/MM/YYYY", "日/月/年") or decimals ("decimal commas") is believed over anything
the text shows (``told``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from longdoc.extraction.currencies import document_currency

# Enough of a document to tell its habits; reading more only costs time.
SAMPLE_CHARACTERS = 50_000
_NUMERIC_DATE = re.compile(r"(?<![\d.,/])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/])")
_DECIMAL_COMMA = re.compile(
    r"(?<![\d.,])\d{1,3}(?:\.\d{3})+,\d{1,2}(?!\d)|(?<![\d.,])\d+,\d{1,2}\s?(?:€|EUR)"
)
_DECIMAL_POINT = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+\.\d{1,2}(?!\d)")
# How a caller says the documents write dates: day first, or month first. An ISO output format
# ("YYYY-MM-DD") says how to answer, not how the documents write, so "MM-DD" after a year is not it.
_TOLD_DAY_FIRST = re.compile(
    r"day[- ]first|\bDD?[/.-]MM?(?:[/.-]YY|\b)|\bday[/.-]month\b|日\s*[/.-]\s*月|日月年", re.IGNORECASE
)
_TOLD_MONTH_FIRST = re.compile(
    r"month[- ]first|(?<![Yy][/.-])\bMM?[/.-]DD?(?:[/.-]YY|\b)|\bmonth[/.-]day\b|月\s*[/.-]\s*日\s*[/.-]\s*年|月日年",
    re.IGNORECASE,
)
_TOLD_DECIMAL_COMMA = re.compile(r"decimal[- ]commas?\b|\bcomma as (?:the |a )?decimal", re.IGNORECASE)
_TOLD_DECIMAL_POINT = re.compile(
    r"decimal[- ](?:points?|dots?)\b|\b(?:point|dot) as (?:the |a )?decimal", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]+")
# Frequent words of each language that English does not share (nor "de"/"la", which it borrows).
_ENGLISH = frozenset(
    {"the", "and", "of", "to", "is", "for", "with", "that", "this", "are", "be", "was", "by", "from", "which"}
)
_EUROPEAN = frozenset(
    {"der", "das", "und", "nicht", "mit", "für", "ist", "von", "den", "dem", "eine", "einer", "zu", "auf", "wird"}  # German
    | {"le", "les", "et", "des", "pour", "avec", "est", "une", "du", "dans", "sur", "au", "aux", "pas"}  # French
    | {"il", "di", "che", "per", "della", "delle", "sono", "gli", "nel", "alla"}  # Italian
    | {"el", "los", "las", "que", "por", "con", "para", "del", "es", "una", "y"}  # Spanish
    | {"het", "een", "van", "en", "niet", "met", "voor", "op", "zijn", "te", "aan"}  # Dutch
)  # fmt: skip


@dataclass(frozen=True)
class Conventions:
    day_first: bool = False  # a numeric date gives its day before its month
    decimal_comma: bool = False  # "1.299,50": a comma before the decimals, dots between thousands
    currency: str | None = None  # the ISO 4217 code of the currency most of its amounts are in


@dataclass(frozen=True)
class Told:
    """What the caller's words say of the documents' habits; None where they say nothing (or both)."""

    day_first: bool | None = None
    decimal_comma: bool | None = None


def told(words: str) -> Told:
    """What an instruction and field descriptions say about how the documents write numeric
    dates ("day first", "DD/MM/YYYY", "日/月/年"; "month first", "MM/DD/YY") and decimals
    ("decimal commas"; "decimal point")."""
    return Told(
        _either(_TOLD_DAY_FIRST.search(words), _TOLD_MONTH_FIRST.search(words)),
        _either(_TOLD_DECIMAL_COMMA.search(words), _TOLD_DECIMAL_POINT.search(words)),
    )


def _either(yes: object, no: object) -> bool | None:
    return bool(yes) if bool(yes) != bool(no) else None


def conventions_of(text: str, caller: Told = Told()) -> Conventions:
    """The conventions ``text`` writes by, as far as it shows them; US/English ones otherwise.
    What the ``caller`` said decides each habit on its own: a Malaysian receipt writes its dates
    day first and its decimals with a point."""
    sample = text[:SAMPLE_CHARACTERS]
    day_votes = month_votes = 0
    for first, separator, second, _year in _NUMERIC_DATE.findall(sample):
        if int(first) > 12 >= int(second) or (separator == "." and int(second) <= 12):
            day_votes += 1
        elif int(second) > 12 >= int(first):
            month_votes += 1
    comma_votes = len(_DECIMAL_COMMA.findall(sample))
    point_votes = len(_DECIMAL_POINT.findall(sample))
    words = [w.lower() for w in _WORD.findall(sample)]
    european = sum(w in _EUROPEAN for w in words) > sum(w in _ENGLISH for w in words)
    # the two habits go together: a document showing only one of them follows the other too
    shown_day_first = day_votes > month_votes if day_votes != month_votes else None
    decimal_comma = comma_votes > point_votes if comma_votes != point_votes else None
    return Conventions(
        currency=document_currency(sample),
        day_first=next(
            v
            for v in (caller.day_first, shown_day_first, caller.decimal_comma, decimal_comma, european)
            if v is not None
        ),
        decimal_comma=next(
            v for v in (caller.decimal_comma, decimal_comma, shown_day_first, european) if v is not None
        ),
    )
