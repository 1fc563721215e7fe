"""Currencies as ISO 4217 codes: the code a value names ("€", "euros", "Canadian dollars",
"人民币", "US$") and the currency a document writes its amounts in.

Names and symbols come from the CLDR data Babel ships, in the languages documents here are
written in. A symbol two currencies share ("¥": yuan and yen) is read as the one the document
writes its amounts in, if it is one of them; else it names no code.
"""

from __future__ import annotations

import functools
import re
import unicodedata

LOCALES = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "cs", "sv", "da", "nb", "fi", "hu", "ro", "el",
    "tr", "ru", "uk", "ar", "hi", "id", "ms", "th", "vi", "zh", "ja", "ko",
)  # fmt: skip
# a mark written against an amount: before it ("€ 12", "US$5", "EUR 3,00") or after it ("12 €")
_BEFORE = re.compile(r"(?<![^\s(:])([^\w\s().,:;'\"%+-]{1,2}|[A-Z]{3}|[A-Z]{1,2}\$|RM|Rs\.?)[ \u00a0]?(?=\d)")
_AFTER = re.compile(r"(?<=\d)[ \u00a0]?([^\w\s().,:;'\"%+-]|[A-Z]{3}|元|円|zł|Kč|kr)(?![^\W\d_])")
_EDGES = " .:()[]（）"
# a field holding a currency, unless it asks for its symbol
_CURRENCY_FIELD = re.compile(
    r"currenc|币种|货币|幣種|貨幣|通貨|währung|devise|moneda|valuta|divisa|waluta|měna|ISO[ -]?4217",
    re.IGNORECASE,
)
_SYMBOL = re.compile(r"symbol|sign\b|符号|記号|zeichen|signe|s[íi]mbolo", re.IGNORECASE)
PLURAL_COUNTS = (1, 2, 5)  # counts whose plural forms name a currency ("one", "few", "many"/"other")
MOST_VOTES_SHARE = 2 / 3  # of a document's currency marks that must name its currency


@functools.cache
def _names() -> dict[str, frozenset[str]]:
    """Every code, symbol and name (singular and plural) of the currencies, case-folded → codes."""
    from babel import Locale
    from babel.numbers import get_currency_name

    index: dict[str, set[str]] = {}
    for tag in LOCALES:
        locale = Locale.parse(tag)
        codes = [str(code) for code in locale.currencies]
        spelt = [(code, code) for code in codes]
        spelt += [(str(symbol), str(code)) for code, symbol in locale.currency_symbols.items()]
        spelt += [
            (get_currency_name(code, count=count, locale=locale), code)
            for code in codes
            for count in PLURAL_COUNTS
        ]
        for text, code in spelt:
            index.setdefault(_folded(text), set()).add(code)
    return {text: frozenset(codes) for text, codes in index.items() if text}


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip(_EDGES).casefold()


def wants_currency_code(name: str, description: str) -> bool:
    """Whether a string field (its key and description) holds a currency, written as its code."""
    words = f"{name} {description}"
    return _CURRENCY_FIELD.search(words) is not None and _SYMBOL.search(words) is None


def currency_code(value: str, document: str | None = None) -> str | None:
    """The ISO 4217 code ``value`` names when it is a currency and nothing else; a shared symbol
    names the ``document``'s currency if that is one of its currencies."""
    codes = _names().get(_folded(value), frozenset())
    if len(codes) == 1:
        return next(iter(codes))
    return document if document in codes else None


def document_currency(text: str) -> str | None:
    """The currency most of ``text``'s marked amounts are in (a shared symbol's vote is split
    between its currencies); None when the text marks none or no currency has most of them."""
    votes: dict[str, float] = {}
    marks = 0
    for found in [*_BEFORE.finditer(text), *_AFTER.finditer(text)]:
        codes = _names().get(_folded(found.group(1)))
        if codes:
            marks += 1
            for code in codes:
                votes[code] = votes.get(code, 0) + 1 / len(codes)
    if not votes:
        return None
    code = max(votes, key=votes.__getitem__)
    return code if votes[code] >= MOST_VOTES_SHARE * marks else None
