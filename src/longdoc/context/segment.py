"""Text → index terms, the same for documents and queries.

Scripts written with spaces (English, French, Russian, Korean…) give one term per run of letters
and digits, lowercased. Chinese and Japanese are written without spaces, so a run of Han, kana or
CJK-compatibility characters gives every character and every pair of adjacent characters: a
two-character word is then one exact bigram, and longer words match as overlapping bigrams. This
needs no dictionary and is several times faster than a word segmenter such as jieba.

A word mixing letters and digits (``FY2018``, ``X1``, ``2019s``) is one term. A question's such
words are also searched for by their specific parts (``word_parts``: runs of at least two letters
or three digits), so a question about "FY2018" meets a table headed "2018", while "X1" does not
turn into a search for every "1". Documents are not split so (measured: a question about "2018"
meeting "FY2018" gained nothing on the retrieval eval, and the extra terms moved rankings).
"""

from __future__ import annotations

import re
import unicodedata

_CJK = "\u3040-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
_TERM_RUNS = re.compile(rf"[^\W_{_CJK}]+|[{_CJK}]+")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_LETTERS = rf"[^\W\d_{_CJK}]"
# The specific parts of words mixing letters and digits: a run of 2+ letters or 3+ digits next to
# the other kind (shorter ones, "x" or "1", are everywhere on their own and would find anything).
_MIXED_PARTS = re.compile(
    rf"{_LETTERS}{{2,}}(?=\d)|(?<={_LETTERS})\d{{3,}}|\d{{3,}}(?={_LETTERS})|(?<=\d){_LETTERS}{{2,}}"
)


def _is_cjk(ch: str) -> bool:
    return (
        "\u3040" <= ch <= "\u9fff"
        or "\uf900" <= ch <= "\ufaff"
        or "\uff66" <= ch <= "\uff9f"
        or "\U00020000" <= ch <= "\U0003134f"
    )


def normalise_text(text: str) -> str:
    """Lowercase, with compatibility forms folded (full-width letters, ligatures) when not ASCII."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def index_terms(text: str) -> list[str]:
    """The terms of ``text`` in order: words, and CJK characters plus their bigrams."""
    text = normalise_text(text)
    runs = _TERM_RUNS.findall(text)
    if not _HAS_CJK.search(text):
        return runs
    terms: list[str] = []
    for run in runs:
        if _is_cjk(run[0]):
            terms.extend(run)
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            terms.append(run)
    return terms


def word_parts(text: str) -> list[str]:
    """The specific parts of the words of ``text`` that mix letters and digits ("FY2018" → fy, 2018)."""
    return _MIXED_PARTS.findall(normalise_text(text))


def stem(term: str) -> str:
    """A light English stemmer: folds plurals, -ing, -ed and a final -e.

    Terms only need to meet their variants, not to be words: ``dates``, ``dated`` and ``date``
    all become ``dat``. It strips only when a vowel is left in the base, and leaves every
    non-Latin or non-alphabetic term (numbers, CJK) unchanged.
    """
    if len(term) < 3 or not term.isascii() or not term.isalpha():
        return term
    t = term
    if t.endswith("ies") and len(t) > 4:
        t = t[:-3] + "y"
    elif t.endswith("sses") or t.endswith(("ches", "shes", "xes", "zes")):
        t = t[:-2]
    elif t.endswith("s") and len(t) > 3 and not t.endswith(("ss", "us", "is")):
        t = t[:-1]
    if t.endswith("ing") and len(t) > 5 and _has_vowel(t[:-3]):
        t = t[:-3]
    elif t.endswith("eed") and len(t) > 4:
        t = t[:-1]
    elif t.endswith("ed") and len(t) > 4 and _has_vowel(t[:-2]):
        t = t[:-2]
    if t.endswith("e") and len(t) > 3:
        t = t[:-1]
    # runn → run, stopp → stop; applied to every word so that "add" and "added" still meet.
    if len(t) >= 3 and t[-1] == t[-2] and t[-1] not in "aeiouylsz":
        t = t[:-1]
    return t


def _has_vowel(text: str) -> bool:
    return any(c in "aeiouy" for c in text)
