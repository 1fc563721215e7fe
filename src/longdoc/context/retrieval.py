"""Choosing passages of one or many files within a token budget, and covering whole files.

Ranking is ``query.search_weighted`` (and its fusion with dense vectors, ``dense``); here the
ranked passages are fitted to the budget (``select_passages``), put in document order, or — when
nothing matches — spread evenly over the files (``cover_files``), scored with the same shared idf.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from longdoc.context.duplicates import NearDuplicates
from longdoc.context.lexical import K1, LexicalIndex, bm25_idf, query_terms
from longdoc.core.chunks import Passage


class _Query:
    """A query's terms located in each file, with idf shared by all the files."""

    def __init__(self, indexes: Sequence[LexicalIndex], query: str) -> None:
        terms = query_terms(query)
        self.ids = [ix.term_ids(terms) for ix in indexes]
        total = sum(ix.chunk_count for ix in indexes)
        frequencies = dict.fromkeys(terms, 0)
        for ix, ids in zip(indexes, self.ids, strict=True):
            for term, tid in ids.items():
                frequencies[term] += ix.document_frequency(tid)
        self.idf = {t: bm25_idf(total, df) for t, df in frequencies.items()}
        # The score of a chunk holding every term infinitely often: scores / ideal lie in [0, 1].
        self.ideal = sum(self.idf.values()) * (K1 + 1) or 1.0

    def scores(self, file: int, ix: LexicalIndex) -> np.ndarray:
        """Relevance in [0, 1] of every chunk of ``ix`` (the ``file``-th index)."""
        weights = {tid: self.idf[t] for t, tid in self.ids[file].items()}
        return ix.scores(weights) / np.float32(self.ideal)


def select_passages(
    ranked: Sequence[Passage],
    budget_tokens: int,
    *,
    file_order: Sequence[str] | None = None,
    overhead_tokens: int = 0,
    duplicates: NearDuplicates | None = None,
) -> list[Passage]:
    """The best of ``ranked`` that fit ``budget_tokens`` together, in document order.

    Passages are taken best first; one that does not fit is skipped and smaller ones may still
    fill the room. ``overhead_tokens`` is what the caller adds around each passage (a citation
    line). With ``duplicates``, a passage repeating one chosen (or added to it before) is
    skipped too. The result is ordered by ``file_order`` (default: order of first appearance in
    ``ranked``), then by position in the file.
    """
    chosen: list[Passage] = []
    seen: set[tuple[str, int]] = set()
    room = budget_tokens
    for p in ranked:
        cost = p.tokens + overhead_tokens
        if cost > room or (p.file_id, p.chunk) in seen:
            continue
        if duplicates is None or duplicates.admit(p):
            chosen.append(p)
            seen.add((p.file_id, p.chunk))
            room -= cost
    return in_document_order(chosen, file_order or list(dict.fromkeys(p.file_id for p in ranked)))


def in_document_order(passages: Sequence[Passage], file_order: Sequence[str]) -> list[Passage]:
    position = {f: i for i, f in enumerate(file_order)}
    return sorted(passages, key=lambda p: (position.get(p.file_id, len(position)), p.file_id, p.start))


def cover_files(
    indexes: Sequence[LexicalIndex],
    budget_tokens: int,
    *,
    query: str | None = None,
    overhead_tokens: int = 0,
) -> list[Passage]:
    """Passages spread evenly over whole files, for when reading everything costs too much.

    The budget is shared between files by water-filling (a file smaller than its share gives the
    rest to the others). Each file is cut into as many consecutive regions as its share holds
    passages, and each region contributes its chunk most relevant to ``query`` (without a
    query, or where nothing matches, the region's first chunk, which usually opens a section).
    """
    if not indexes or budget_tokens <= 0:
        return []
    q = _Query(indexes, query) if query else None
    sizes = [int(ix.chunk_tokens.sum()) + overhead_tokens * ix.chunk_count for ix in indexes]
    shares = _water_fill(sizes, budget_tokens)
    passages: list[Passage] = []
    for order, (ix, share) in enumerate(zip(indexes, shares, strict=True)):
        scores = q.scores(order, ix) if q else np.zeros(ix.chunk_count, dtype=np.float32)
        passages.extend(_cover_one(ix, share, scores, overhead_tokens))
    return in_document_order(passages, [ix.file_id for ix in indexes])


def _water_fill(sizes: Sequence[int], budget: int) -> list[int]:
    shares = [0] * len(sizes)
    open_files = sorted(range(len(sizes)), key=lambda i: sizes[i])
    room = budget
    while open_files:
        equal = room // len(open_files)
        i = open_files[0]
        if sizes[i] <= equal:
            shares[i] = sizes[i]
            room -= sizes[i]
            open_files.pop(0)
            continue
        for i in open_files:
            shares[i] = equal
        break
    return shares


def _cover_one(ix: LexicalIndex, share: int, scores: np.ndarray, overhead: int) -> list[Passage]:
    tokens = ix.chunk_tokens.astype(np.int64) + overhead
    n = ix.chunk_count
    if n == 0 or share <= 0:
        return []
    if int(tokens.sum()) <= share:
        return [ix.passage(i, float(scores[i])) for i in range(n)]
    average = max(float(tokens.mean()), 1.0)
    regions = max(1, min(n, int(share // average)))
    bounds = np.linspace(0, n, regions + 1).astype(int)
    picks: list[int] = []
    for a, b in pairwise(bounds):
        if b <= a:
            continue
        region = scores[a:b]
        picks.append(a + int(np.argmax(region)) if region.max() > 0 else a)
    # Regions hold average-sized chunks; drop the least relevant picks if the sizes ran over.
    chosen: list[int] = []
    room = share
    for i in sorted(picks, key=lambda i: (-scores[i], i)):
        if tokens[i] <= room:
            chosen.append(i)
            room -= int(tokens[i])
    return [ix.passage(i, float(scores[i])) for i in sorted(chosen)]
