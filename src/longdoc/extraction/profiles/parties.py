"""The names of a contract's parties, for the contracts profile.

A small model reading a part of a contract writes the short label the contract defines for a
party (“Company”, “Counterparty”) instead of the party. A value the document introduces as a
defined term refers to a value rather than gives it: it becomes the name the term stands for
("Acme, Inc., a Delaware corporation (the “Company”)" → "Acme, Inc.", ``defined_name``), or is
dropped when the text names none; so are words that say nothing alone ("IN" of "IN WITNESS"),
descriptions ("its affiliates", or what the text only writes after "a": "a Delaware
corporation"), the blanks of a form ("[Employer Name]") and, in a list of names, places
(``places``) and words written all in lower case beside capitalised names. A value loses a
parenthesis defining a term for it ("Acme LLC (referred to as “you”)") and a clause describing
more than it ("… and its affiliates"). An alias ("d/b/a Covidien", "f/k/a Discover Screens,
Inc.") gives way to the name (``principal_name``). A name cut before its legal form ("Kite
Pharma" where the text says "Kite Pharma, Inc.") takes the form as written (``whole_name``).
"""

from __future__ import annotations

import re
from typing import Any

from longdoc.extraction.evidence import as_written
from longdoc.extraction.profiles.legal_forms import LEGAL_FORM, TRAILING_FORM
from longdoc.extraction.profiles.places import is_place
from longdoc.extraction.writing import QUOTES, spaced

# Up to three more capitalised words of the name before its form ("Sears" → "Sears, Roebuck and Co.");
# not across "and", which joins two parties as often as it sits inside one name.
_MORE_WORDS = r"(?:,?\s+(?:(?:&|of)\s+)?[A-Z][\w'’.-]*){0,3}?"
_LAST_NAME_WORD = re.compile(r"(?<![\w'’.-])[A-Z][\w'’.-]*$")
# Words that say nothing alone, though every text holds them ("term": "a", "party": "IN" of "IN WITNESS").
_FUNCTION_WORDS = {"a", "an", "the", "in", "of", "by", "and", "or", "to", "for", "with", "at", "on"}
# A field listing names: of parties, companies, people.
_NAMES_FIELD = re.compile(
    r"(?i)(?:^|_)(?:names?|part(?:y|ies)|compan(?:y|ies)|persons?|people|organi[sz]ations?|entit(?:y|ies))$"
)
_ARTICLE_BEFORE = re.compile(r"\b(?:a|an)\s+$", re.IGNORECASE)
_DESCRIBING_START = {"its", "their", "his", "her", "our", "your", "all", "any", "each", "every", "such"}
# A name's words: capitalised or numbers, joined by spaces or commas, "&", "of" or the "and" of "and Co.".
_WORD = r"[A-Z0-9][\w'’.&¢/-]*"
_NAME_AT_END = re.compile(rf"(?<![\w'’.&¢/-]){_WORD}(?:,?\s+(?:(?:&|of)\s+|and\s+(?=Co\b))?{_WORD}){{0,8}}$")
_ALIAS = re.compile(
    r"[\s,(]*\b(?:d/b/a|f/k/a|a/k/a|formerly\s+known\s+as|doing\s+business\s+as)\b[\s,:]*", re.IGNORECASE
)
# What may stand between a name and the parenthesis defining it: ", a Delaware corporation".
_DESCRIBING_CLAUSE = re.compile(r",\s+(?:an?|the)\s[^()]*$")
# What follows a name and describes more than it: "Acme Bank and its affiliates, including …".
_DESCRIBING_TAIL = re.compile(
    r"(?:,\s*|\s+(?:and|together\s+with|including)\s+)(?:its|their)\s+[a-z].*$", re.DOTALL
)
# A parenthesis closing a value that defines a term for it: "Acme LLC (referred to as “you”)"; after
# a space, so not a call's arguments: 'source("commands.R")'.
_DEFINING_TAIL = re.compile(
    rf"(?:\s+[(]|\s*（)[^()（）]*(?:[{QUOTES}]\s*(?:the\s+)?[A-Z\u3040-\u30ff\u4e00-\u9fff]|"
    r"\b(?:referred\s+to|hereinafter)\b)[^()（）]*[)）]?\s*$"
)
# Where defined terms are introduced: within the opening of a document and the part read.
DEFINITIONS_WINDOW = 20_000


def is_defined_term(value: str, texts: tuple[str, ...]) -> bool:
    """Whether a text introduces ``value`` as a defined term: a quoted term in a parenthesis
    (``(the “Company”)``, ``(collectively, “Kite”)``, ``(“NIKE” or the “Company”, and …)``,
    ``（以下简称“甲方”）``), after "hereinafter" or "the term", or before "means"."""
    quoted = _quoted(value)
    if quoted is None:
        return False
    pattern = re.compile(
        rf"{quoted}\s*[)）]|{_in_parenthesis(quoted)}|\bhereinafter[\s,]+(?:(?:collectively|called|referred\s+to\s+as|the)[\s,]+)*{quoted}"
        rf"|\bterm\s+{quoted}|{quoted},?\s+(?:shall\s+)?(?:means?|refers?\s+to)\b",
        re.IGNORECASE,
    )
    return any(pattern.search(text) for text in texts)


def defined_name(value: str, texts: tuple[str, ...]) -> str | None:
    """The name a defined term stands for where a text defines it in a parenthesis right after the
    name, maybe past a description ("Central European Distribution Corporation, a Delaware
    corporation (“CEDC”)" → "Central European Distribution Corporation"); else None."""
    quoted = _quoted(value)
    if quoted is None:
        return None
    for text in texts:
        for found in re.finditer(_in_parenthesis(quoted), text, re.IGNORECASE):
            before = text[max(0, found.start() - 300) : found.start()].rstrip(" ,\n")
            before = _DESCRIBING_CLAUSE.sub("", before).rstrip(" ,\n")
            name = _NAME_AT_END.search(before)
            if name and name.group(0).casefold() not in (value.casefold(), "the", "this"):
                # "… and Buyer (the “Asset Purchase Agreement”)": a term before a term names nothing
                return None if is_defined_term(name.group(0), texts) else " ".join(name.group(0).split())
    return None


def whole_name(value: str, text: str) -> str | None:
    """``value`` as ``text`` writes it followed by a legal form, maybe after a few more capitalised
    words of the name ("Kite Pharma" → "Kite Pharma, Inc.", "Altimo Holdings" → "Altimo Holdings &
    Investments Ltd."), spaces made single; None when ``value`` already ends in a form or no
    occurrence is followed by one."""
    name = value.strip()
    # a name begins and ends with a capitalised word: not a date ("March 1, 2017 GILEAD SCIENCES, INC.")
    if not name or TRAILING_FORM.search(name) or not name[:1].isupper() or not _LAST_NAME_WORD.search(name):
        return None
    pattern = rf"(?<!\w)(?i:{spaced(name)}){_MORE_WORDS}(?:,?\s+(?:(?:&|and)\s+)?{LEGAL_FORM})+"
    for found in re.finditer(pattern, text):
        if not _ARTICLE_BEFORE.search(text[max(0, found.start() - 4) : found.start()]):
            return " ".join(found.group(0).split())
    return None


def is_description(value: str, text: str) -> bool:
    """Whether ``value`` describes rather than names: it begins with a possessive or quantifier
    ("its parent, divisions and affiliates"), or ends in a lower-case word and ``text`` writes it
    only after "a"/"an" ("Delaware corporation" in "a Delaware corporation")."""
    words = value.split()
    if (
        words
        and words[0].lower() in _DESCRIBING_START
        and (words[0] in _DESCRIBING_START or words[-1][:1].islower())
    ):
        return True  # "its affiliates", "Our employees"; not "Its Deli LLC"
    if not words or not words[-1][:1].islower():
        return False
    found = [m.start() for m in re.finditer(rf"(?<!\w){spaced(value)}(?!\w)", text, re.IGNORECASE)]
    return bool(found) and all(_ARTICLE_BEFORE.search(text[max(0, at - 4) : at]) for at in found)


def is_placeholder(value: str, text: str) -> bool:
    """Whether ``value`` is a blank of a form, which ``text`` writes only in square brackets
    ("“Company” means [Employer Name] and its successors")."""
    name = value.strip().strip("[]").strip()
    found = [m.start() for m in re.finditer(rf"(?<!\w){spaced(name)}(?!\w)", text)] if name else []
    return bool(found) and all(re.search(r"\[\s*$", text[max(0, at - 3) : at]) for at in found)


def named(surface: Any, text: str, definitions: tuple[str, ...]) -> Any:
    """``surface`` without the defined terms it gives as values (nor, among a list's elements, the
    descriptions, nor in a list of names those written all in lower case beside capitalised
    ones), and with names cut before their legal form made whole."""

    def one(value: Any, listed: bool, names: bool = False) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().casefold() in _FUNCTION_WORDS:
            return None
        if is_placeholder(value, text) or (names and is_place(value, text)):
            return None
        value = _DESCRIBING_TAIL.sub("", _DEFINING_TAIL.sub("", value)) or value
        value = as_written(value, text)
        value = principal_name(value, text) or value
        whole = whole_name(value, text)  # first: "Sears" is the defined term of "Sears, Roebuck and Co."
        if whole is not None:
            return whole
        if is_defined_term(value, definitions):  # the name it stands for, if the text says
            return defined_name(value, definitions)
        # a description is a fine value for a field of its own ("category": "laptop"), not a name in a list
        return None if listed and is_description(value, text) else value

    def each(name: str, value: Any) -> Any:
        names = bool(_NAMES_FIELD.search(name))
        if not isinstance(value, list):
            return one(value, listed=False, names=names)
        kept = [v for v in (one(e, listed=True, names=names) for e in value) if v is not None]
        if names and any(isinstance(v, str) and v != v.lower() for v in kept):
            # "NIKE, Inc., divisions, subsidiaries and affiliates": the lower-case words describe;
            # a name in a script without capitals ("阿里巴巴集团") is no lower-case word
            kept = [v for v in kept if not isinstance(v, str) or v != v.lower() or v == v.upper()]
        return kept

    if isinstance(surface, dict):
        return {name: each(name, value) for name, value in surface.items()}
    return one(surface, listed=True)  # an item of the answer's own list


def principal_name(value: str, text: str) -> str | None:
    """The name ``value`` is an alias of: the part before "d/b/a", "f/k/a" or "a/k/a" in ``value``
    ("Tyco Healthcare Group LP d/b/a Covidien"), or the name ``text`` writes before such a marker
    and ``value`` ("Net Talk.com, Inc., (f/k/a Discover Screens, Inc.)"); else None."""
    head = _ALIAS.split(value, maxsplit=1)[0].strip(" ,(")
    if head != value.strip():
        return head or None
    for found in re.finditer(rf"{_ALIAS.pattern}\s*{spaced(value)}", text, re.IGNORECASE):
        name = _NAME_AT_END.search(text[max(0, found.start() - 200) : found.start()].rstrip(" ,("))
        if name:
            return " ".join(name.group(0).split())
    return None


def _in_parenthesis(quoted: str) -> str:
    """A pattern for a parenthesis up to the quoted term in it, as a definition opens."""
    return rf"[(（][^()（）]{{0,80}}?{quoted}"


def _quoted(value: str) -> str | None:
    """A pattern for ``value`` in quotes, without a leading article; None for no term or a long one."""
    term = re.sub(r"^(?:the|a|an)\s+", "", value.strip().strip(QUOTES).strip(), flags=re.IGNORECASE)
    if not term or len(term) > 60:
        return None
    return rf"[{QUOTES}]\s*(?:the\s+)?{spaced(term)}\s*[,.;]?\s*[{QUOTES}]"  # “the Company”, “Company,”
