"""Choosing how a request's documents reach the model: whole, as passages, or read in parts.

- ``full``: documents and conversation fit the backend's prompt budget → the model reads them whole.
- ``retrieve``: the passages most relevant to the question (conversation-aware; ranked by BM25,
  fused with the dense ranking of the files that have vectors when ``dense`` is on), up to the budget,
  in document order, with each document's opening while it is cheap; each is labelled so the
  answer can cite it. As many candidates are ranked as fill the room twice over, and a passage
  repeating one already chosen gives its room to the next (``duplicates``).
- ``map_reduce``: every part of every document is read with the question (in parallel where the
  backend serves several requests at once), the notes combined, and the answer written from them.

``auto`` picks ``full`` when it fits; else ``map_reduce`` for questions about the whole text
(summaries, lists of everything, comparisons) when its estimated time on the backend is within
``map_reduce_max_seconds``; else ``retrieve``. A map-reduce that would take too long becomes a
retrieval spread over the whole documents, and the plan says so (``fallback``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from longdoc.config import ContextSettings
from longdoc.context.dense import DenseIndex, DenseRanking
from longdoc.context.duplicates import NearDuplicates
from longdoc.context.indexing import build_index
from longdoc.context.lexical import LexicalIndex
from longdoc.context.map_reduce import MAP_OVERHEAD_TOKENS
from longdoc.context.parts import Part, split_parts
from longdoc.context.query import Turn, WeightedQuery, conversation_query, search_weighted, telling_terms
from longdoc.context.retrieval import cover_files, in_document_order, select_passages
from longdoc.context.tokens import TokenCounter
from longdoc.core.chunks import Passage
from longdoc.core.documents import Document
from longdoc.inference.base import Throughput

log = logging.getLogger(__name__)

Strategy = Literal["auto", "full", "retrieve", "map_reduce"]
STRATEGIES: tuple[Strategy, ...] = ("auto", "full", "retrieve", "map_reduce")

# Tokens a whole document costs beyond its text: its <document> tags and a marker per page.
DOCUMENT_OVERHEAD_TOKENS = 40
PAGE_MARKER_TOKENS = 6
# A retrieval ranks enough passages to fill its room this many times over (at least
# ``search_candidates``): some are skipped as too big for what is left, repeats or below the floor.
CANDIDATE_SURPLUS = 2

_WHOLE_TEXT = re.compile(
    r"\b(summari[sz]\w*|summary|summaries|overview|outline|gist|synopsis|main (points|ideas|themes)|"
    r"key (points|takeaways)|list (all|every|each)|all (the|of the)|every|each of|enumerate|"
    r"compare|comparison|contrast|differences?|similarit\w+|across (the|all|both))\b|"
    r"总结|概括|概述|摘要|综述|要点|所有|全部|每一?个|列出|比较|对比|区别|异同|归纳",
    re.IGNORECASE,
)


def wants_whole_text(question: str) -> bool:
    """Whether answering needs every part of the documents rather than the few most relevant."""
    return _WHOLE_TEXT.search(question) is not None


class PlanSource(Protocol):
    """A document of the request as the planner sees it."""

    @property
    def key(self) -> str:
        """Unique within the request; the ``file_id`` its index and passages carry."""
        ...

    @property
    def name(self) -> str: ...

    @property
    def document(self) -> Document: ...

    @property
    def tokens(self) -> int: ...

    def stored_index(self) -> LexicalIndex | None:
        """The index built when the file was processed, if there is one."""
        ...

    def stored_vectors(self) -> DenseIndex | None:
        """Dense vectors of the stored index's chunks, once built (asked only with dense ranking on)."""
        ...


@dataclass(frozen=True)
class FullPlan:
    kind: Literal["full"] = "full"
    fallback: str | None = None


@dataclass(frozen=True)
class RetrievePlan:
    passages: list[Passage]  # in document order, keyed by their source's ``key`` as ``file_id``
    query: WeightedQuery
    fallback: str | None = None
    kind: Literal["retrieve"] = "retrieve"


@dataclass(frozen=True)
class MapReducePlan:
    parts: list[Part]
    indexes: list[LexicalIndex]  # one per source, in order: the parts' chunk tables
    question: str
    estimated_seconds: float
    part_tokens: int  # the most document tokens one map step reads
    room_tokens: int  # the most tokens of notes one reduce step (or the answer) reads
    kind: Literal["map_reduce"] = "map_reduce"
    fallback: str | None = None


ContextPlan = FullPlan | RetrievePlan | MapReducePlan


@dataclass(frozen=True)
class PlanRequest:
    sources: Sequence[PlanSource]
    turns: Sequence[Turn]
    room_tokens: int  # the prompt budget left for documents once conversation and instructions are in
    throughput: Throughput
    strategy: Strategy = "auto"
    label_tokens: int = 16  # what the caller adds around each passage (its "[n] (name, page p)" line)


class ContextPlanner:
    def __init__(
        self, settings: ContextSettings, counter: TokenCounter, dense: DenseRanking | None = None
    ) -> None:
        self._settings = settings
        self._counter = counter
        self._dense = dense  # None: lexical ranking alone

    def plan(self, request: PlanRequest) -> ContextPlan:
        if request.strategy == "full":
            return FullPlan()  # the caller checks the window and names sizes if it does not fit
        if request.strategy == "auto" and self.whole_tokens(request.sources) <= request.room_tokens:
            return FullPlan()
        question = next((t.content for t in reversed(request.turns) if t.role == "user"), "")
        if request.strategy == "map_reduce" or (request.strategy == "auto" and wants_whole_text(question)):
            return self._map_reduce(request, question)
        return self.retrieve(request)

    @staticmethod
    def whole_tokens(sources: Sequence[PlanSource]) -> int:
        """Tokens the documents take when passed whole (text, tags, page markers)."""
        return sum(
            s.tokens + DOCUMENT_OVERHEAD_TOKENS + PAGE_MARKER_TOKENS * len(s.document.pages) for s in sources
        )

    def indexes(self, sources: Sequence[PlanSource]) -> list[LexicalIndex]:
        """Each source's index: the stored one, else built now from the document."""
        found: list[LexicalIndex] = []
        for source in sources:
            index = source.stored_index()
            if index is None:
                index = build_index(
                    source.document, file_id=source.key, counter=self._counter, settings=self._settings
                )
            found.append(index)
        return found

    def retrieve(self, request: PlanRequest) -> RetrievePlan:
        """The passages most relevant to the conversation's question that fit the room."""
        indexes = self.indexes(request.sources)
        query = conversation_query(request.turns)
        k = self.candidates(indexes, request.room_tokens, request.label_tokens)
        ranked = search_weighted(indexes, query, k=k, diversity=self._settings.search_diversity)
        if self._dense is not None:
            ranked = self._fused(self._dense, request.sources, indexes, query, ranked, k)
        if not ranked:  # nothing matches the question: read a little of everything
            return RetrievePlan(
                cover_files(indexes, request.room_tokens, overhead_tokens=request.label_tokens), query
            )
        floor = ranked[0].score * self._settings.retrieve_min_score
        ranked = [p for p in ranked if p.score >= floor]
        openings = self._openings(indexes, ranked, request)
        opened = {(p.file_id, p.chunk) for p in openings}
        room = request.room_tokens - sum(p.tokens + request.label_tokens for p in openings)
        keys = [s.key for s in request.sources]
        texts = {s.key: s.document.text for s in request.sources}
        duplicates = NearDuplicates(lambda p: p.text(texts[p.file_id]), telling_terms(indexes, query))
        for opening in openings:
            duplicates.add(opening)
        chosen = select_passages(
            [p for p in ranked if (p.file_id, p.chunk) not in opened],
            room,
            file_order=keys,
            overhead_tokens=request.label_tokens,
            duplicates=duplicates,
        )
        return RetrievePlan(in_document_order([*openings, *chosen], keys), query)

    @staticmethod
    def _fused(
        dense: DenseRanking,
        sources: Sequence[PlanSource],
        indexes: Sequence[LexicalIndex],
        query: WeightedQuery,
        ranked: list[Passage],
        k: int,
    ) -> list[Passage]:
        """``ranked`` fused with the dense ranking for the last question (the sources without
        vectors take part through their lexical places). A failing embedder leaves the lexical
        ranking: it must not fail questions that BM25 answers."""
        question = query.parts[0][0] if query.parts else ""
        try:
            return dense.rank(indexes, [s.stored_vectors() for s in sources], ranked, question, k)
        except Exception:
            log.exception("dense ranking failed; the passages are ranked lexically")
            return ranked

    def candidates(self, indexes: Sequence[LexicalIndex], room_tokens: int, label_tokens: int) -> int:
        """How many passages to rank: ``search_candidates``, or more when the room holds more.

        A fixed number would starve a large room: 50 passages of ≈ 250 tokens fill 12k tokens."""
        chunks = sum(ix.chunk_count for ix in indexes)
        if not chunks:
            return self._settings.search_candidates
        average = sum(int(ix.chunk_tokens.sum()) for ix in indexes) / chunks + label_tokens
        return max(self._settings.search_candidates, math.ceil(CANDIDATE_SURPLUS * room_tokens / average))

    def _openings(
        self, indexes: Sequence[LexicalIndex], ranked: Sequence[Passage], request: PlanRequest
    ) -> list[Passage]:
        """Each document's first chunk, file by file, within ``retrieve_opening_share`` of the room.

        A document's opening names what it is, who it is between and when (a contract's parties
        and date, a manual's title and version): facts a question often needs and a search for
        the question's words often misses."""
        scores = {(p.file_id, p.chunk): p.score for p in ranked}
        room = int(request.room_tokens * self._settings.retrieve_opening_share)
        openings: list[Passage] = []
        for index in indexes:
            if not index.chunk_count:
                continue
            opening = index.passage(0, scores.get((index.file_id, 0), 0.0))
            if opening.tokens + request.label_tokens > room:
                break
            openings.append(opening)
            room -= opening.tokens + request.label_tokens
        return openings

    def _map_reduce(self, request: PlanRequest, question: str) -> RetrievePlan | MapReducePlan:
        indexes = self.indexes(request.sources)
        part_tokens = max(request.room_tokens - MAP_OVERHEAD_TOKENS - self._counter.count(question), 64)
        parts = split_parts(request.sources, indexes, part_tokens)
        seconds = self.estimate_map_reduce(parts, request.room_tokens, request.throughput)
        if seconds <= self._settings.map_reduce_max_seconds:
            return MapReducePlan(parts, indexes, question, seconds, part_tokens, request.room_tokens)
        query = conversation_query(request.turns)
        passages = cover_files(
            indexes, request.room_tokens, query=query.text, overhead_tokens=request.label_tokens
        )
        fallback = (
            f"map_reduce too slow: estimated {seconds:,.0f} s for {len(parts):,} parts, over the "
            f"{self._settings.map_reduce_max_seconds:,.0f} s limit; read passages spread over the documents"
        )
        return RetrievePlan(passages, query, fallback=fallback)

    def estimate_map_reduce(self, parts: Sequence[Part], room_tokens: int, throughput: Throughput) -> float:
        """Seconds to read every part, combine the notes level by level, and answer.

        Notes are counted at their longest (``map_note_tokens``), so the estimate errs long.
        """
        note = self._settings.map_note_tokens
        lanes = max(throughput.parallel_requests, 1)
        reading = [throughput.seconds(p.tokens + MAP_OVERHEAD_TOKENS, note) for p in parts]
        seconds = sum(reading) / lanes if lanes > 1 else sum(reading)
        if lanes > 1 and reading:
            seconds = max(seconds, max(reading))
        notes = len(parts) * note
        while notes > room_tokens:
            groups = math.ceil(notes / room_tokens)
            seconds += math.ceil(groups / lanes) * throughput.seconds(room_tokens, note)
            notes = groups * note
        return seconds + throughput.seconds(notes + MAP_OVERHEAD_TOKENS, note)
