"""What to search for: the last question, and — when it leans on earlier turns — the conversation.

A follow-up such as "and its price?" names nothing the documents can be searched for; the
subject is in the turns before it. So a short or anaphoric question is searched together with
the previous user message and the last answer, whose terms weigh less than the question's own.
A question's form also says what its answer looks like, in words the question lacks: "how long"
is answered in years, months or days, "when" by a date; those words join at a lower weight.
Weights scale each term's idf in the BM25 sum.

Scores across files are made comparable by scoring every file with the same idf, computed over
all the files searched together (as if they were one collection), and dividing by the query's
ideal score (every query term saturated), which puts them in [0, 1]. So a big file cannot win by
having a different idf scale; and so that it cannot win by sheer number of mediocre chunks
either, the merge discounts each file's n-th hit by ``diversity ** n``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from longdoc.context.lexical import K1, LexicalIndex, bm25_idf, query_terms, top_k
from longdoc.core.chunks import Passage

# Questions of at most this many terms may lean on the conversation for their subject.
SHORT_QUESTION_TERMS = 6
PREVIOUS_QUESTION_WEIGHT = 0.6
PREVIOUS_ANSWER_WEIGHT = 0.3
ANSWER_SHAPE_WEIGHT = 0.5
# Question forms → words their answers are written with (measured on Kleister NDA: "How long is
# the term of this agreement?" finds its term in the passages read 82 % of the time, not 63 %).
ANSWER_SHAPES = (
    (
        re.compile(r"\bhow long\b|\bduration\b|多久|多长时间|期限", re.IGNORECASE),
        "period years months weeks days 年 月 天",
    ),
    (
        re.compile(r"\bwhen\b|\bwhat date\b|\bwhich date\b|什么时候|何时|哪天|日期", re.IGNORECASE),
        "date dated day 日期",
    ),
    (re.compile(r"\bhow (?:much|many)\b|多少", re.IGNORECASE), "number amount total 数量 金额"),
)
_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|theirs|this|that|these|those|he|him|his|she|her|the same|"
    r"above|former|latter|what about|how about)\b|[它其这那他她]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    role: str  # user or assistant
    content: str


@dataclass(frozen=True)
class WeightedQuery:
    """Pieces of text to search for, each with the weight of its terms (a term takes its highest)."""

    parts: tuple[tuple[str, float], ...]

    @property
    def text(self) -> str:
        """The pieces joined, for uses that take plain text (a broad cover's picks)."""
        return "\n".join(text for text, _ in self.parts)

    def term_weights(self) -> dict[str, float]:
        weights: dict[str, float] = {}
        for text, weight in self.parts:
            for term in query_terms(text):
                weights[term] = max(weights.get(term, 0.0), weight)
        return weights


def conversation_query(turns: Sequence[Turn]) -> WeightedQuery:
    """The query for the last user message of ``turns``, with earlier turns when it needs them."""
    users = [i for i, t in enumerate(turns) if t.role == "user"]
    if not users:
        return WeightedQuery(())
    last = turns[users[-1]].content
    parts: list[tuple[str, float]] = [(last, 1.0)]
    shapes = " ".join(words for form, words in ANSWER_SHAPES if form.search(last))
    if shapes:
        parts.append((shapes, ANSWER_SHAPE_WEIGHT))
    if len(users) > 1 and leans_on_context(last):
        parts.append((turns[users[-2]].content, PREVIOUS_QUESTION_WEIGHT))
        answers = [t.content for t in turns[: users[-1]] if t.role == "assistant"]
        if answers:
            parts.append((answers[-1], PREVIOUS_ANSWER_WEIGHT))
    return WeightedQuery(tuple(parts))


def leans_on_context(question: str) -> bool:
    """Short, or pointing back with a pronoun ("its", "they", "那个"), so the subject lies earlier."""
    return len(query_terms(question)) <= SHORT_QUESTION_TERMS or _ANAPHORA.search(question) is not None


def telling_terms(indexes: Sequence[LexicalIndex], query: WeightedQuery) -> frozenset[str]:
    """The query's terms held by at most half the chunks searched: those that tell passages
    apart (BM25's classic idf, log((N - df + 0.5) / (df + 0.5)), is positive for them)."""
    terms = list(query.term_weights())
    total = sum(ix.chunk_count for ix in indexes)
    frequencies = dict.fromkeys(terms, 0)
    for ix in indexes:
        for term, df in ix.document_frequencies(terms).items():
            frequencies[term] += df
    return frozenset(t for t, df in frequencies.items() if df <= total / 2)


def search_weighted(
    indexes: Sequence[LexicalIndex], query: WeightedQuery, *, k: int = 50, diversity: float = 0.85
) -> list[Passage]:
    """The ``k`` best passages across ``indexes`` for a weighted query, best first; scores in [0, 1].

    Shared idf, scores over the ideal, a file's n-th hit discounted by ``diversity ** n`` when
    merging (``Passage.score`` stays the undiscounted relevance); each term's idf scaled by its weight.
    """
    weights = query.term_weights()
    if not indexes or k <= 0 or not weights:
        return []
    terms = list(weights)
    located = [ix.term_ids(terms) for ix in indexes]
    total = sum(ix.chunk_count for ix in indexes)
    frequencies = dict.fromkeys(terms, 0)
    for ix, ids in zip(indexes, located, strict=True):
        for term, tid in ids.items():
            frequencies[term] += ix.document_frequency(tid)
    scaled = {t: bm25_idf(total, df) * weights[t] for t, df in frequencies.items()}
    ideal = sum(scaled.values()) * (K1 + 1) or 1.0
    candidates: list[tuple[float, int, int, float]] = []
    for order, (ix, ids) in enumerate(zip(indexes, located, strict=True)):
        scores = ix.scores({tid: scaled[t] for t, tid in ids.items()}) / np.float32(ideal)
        for rank, (chunk, score) in enumerate(top_k(scores, k)):
            score = min(score, 1.0)
            candidates.append((-score * diversity**rank, order, chunk, score))
    candidates.sort()
    return [indexes[order].passage(chunk, score) for _, order, chunk, score in candidates[:k]]
