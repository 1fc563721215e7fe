"""Passages that say again what a passage already chosen says.

Long documents repeat themselves: a report restates a table in two sections, a filing prints
the same statement page twice, a contract's exhibit copies its clauses, the same file may be
attached twice. Two copies of one passage cost twice the room and tell the model nothing new,
so a retrieval keeps the first (best ranked) and skips the rest.

A passage is a near-duplicate when most of its text, counted in characters of whole lines
(whitespace and case aside), is lines of one chosen passage, and its other lines hold none of the
question's telling terms: a short passage contained in a longer one chosen is a repeat; a longer
one holding a short one chosen is not, since the rest of it is new; and a copied table with one
new row, or a page of boilerplate around the one sentence the question asks about, is kept when
that row or sentence bears on the question. Lines rather than words: a repeat inside
one document keeps its layout, and hashing lines costs microseconds where word n-grams cost
a millisecond a passage, which a 32k-token selection of a hundred passages would feel. Lines
of fewer than ``MIN_LINE_WORDS`` words (page numbers, column headings such as "2019 2018") are
shared by passages that say different things, so they are not compared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from longdoc.context.segment import index_terms, stem
from longdoc.core.chunks import Passage

MIN_LINE_WORDS = 3
DUPLICATE_SHARE = 0.8  # of a passage's compared characters, found in one chosen passage


def folded_lines(text: str) -> dict[int, str]:
    """Each compared line of ``text`` by its hash, whitespace and case folded."""
    lines: dict[int, str] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= MIN_LINE_WORDS:
            folded = " ".join(words).lower()
            lines[hash(folded)] = folded
    return lines


class NearDuplicates:
    """The passages chosen so far, by their lines, to tell whether another repeats one of them."""

    def __init__(
        self,
        text_of: Callable[[Passage], str],
        telling_terms: frozenset[str] = frozenset(),
        share: float = DUPLICATE_SHARE,
    ) -> None:
        """``telling_terms``: the question's terms (stemmed) that tell passages apart."""
        self._text_of = text_of
        self._terms = telling_terms
        self._share = share
        self._holders: dict[int, list[int]] = {}  # line hash → the chosen passages holding it
        self._chosen = 0

    def add(self, passage: Passage) -> None:
        """Remember ``passage`` as chosen."""
        self._remember(folded_lines(self._text_of(passage)))

    def admit(self, passage: Passage) -> bool:
        """Whether ``passage`` says something new; if it does, it is remembered as chosen."""
        own = folded_lines(self._text_of(passage))
        shared: Counter[int] = Counter()
        for line, text in own.items():
            for held in self._holders.get(line, ()):
                shared[held] += len(text)
        if shared:
            held, chars = shared.most_common(1)[0]
            if chars >= self._share * sum(map(len, own.values())) and not self._tells(own, held):
                return False
        self._remember(own)
        return True

    def _tells(self, own: dict[int, str], held: int) -> bool:
        """Whether the lines of ``own`` that chosen passage ``held`` lacks hold a telling term."""
        new = [text for line, text in own.items() if held not in self._holders.get(line, ())]
        return bool(new) and not self._terms.isdisjoint(stem(t) for t in index_terms("\n".join(new)))

    def _remember(self, own: dict[int, str]) -> None:
        number = self._chosen
        self._chosen += 1
        for line in own:
            self._holders.setdefault(line, []).append(number)
