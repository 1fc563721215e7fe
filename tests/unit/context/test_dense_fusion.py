"""The retrieve plan with dense ranking: BM25 fused with the vectors' ranking by reciprocal rank
for the files that have vectors, BM25 alone for those that do not, and nothing changed when dense
ranking is off. The embedder is a fake (``support.embedders``): words map to concepts, so a
paraphrase sharing no word with its answer is close to it, as with a real model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from context_documents import Source, text_document

from longdoc.config import ContextSettings
from longdoc.context.chunking import chunk_document
from longdoc.context.dense import DenseIndex, DenseRanking, Embedder, dense_ranking, fuse
from longdoc.context.lexical import LexicalIndex
from longdoc.context.plans import ContextPlanner, PlanRequest
from longdoc.context.query import Turn
from longdoc.context.tokens import TokenCounter
from longdoc.inference.base import Throughput
from support.embedders import BrokenEmbedder, ConceptEmbedder

FAST = Throughput(prompt_tokens_per_second=1e6, generate_tokens_per_second=1e6)
FILLERS = [
    "Cut the hair off the brushes with scissors once a week so that they keep turning.",
    "Rinse the foam filter under cold water every month and let it dry for a full day.",
    "The dock charges the battery in three hours; its light turns green when it is full.",
]
WARRANTY = "X1 owners get two years of limited warranty covering its motor."
QUESTION = "What does the guarantee include?"  # no word in common with WARRANTY
CARD = "Returns: the guarantee card must be included with the parcel."
SETTINGS = ContextSettings(retrieve_opening_share=0)


class Unasked(Source):
    def stored_vectors(self) -> DenseIndex | None:
        raise AssertionError("vectors were asked for with dense ranking off")


def source(
    counter: TokenCounter, key: str, paragraphs: list[str], *, vectors: bool, kind: type[Source] = Source
) -> Source:
    document = text_document("\n\n".join(paragraphs))
    chunks = chunk_document(
        document, file_id=key, counter=counter, target_tokens=20, max_tokens=40, min_tokens=0
    )
    index = LexicalIndex.build(chunks, document.text)
    built = DenseIndex.build(chunks, document.text, ConceptEmbedder()) if vectors else None
    return kind(key, key, document, counter.count(document.text), index, built)


def manual(counter: TokenCounter, *, vectors: bool, kind: type[Source] = Source) -> Source:
    """Thirty paragraphs on upkeep, and the warranty in the middle."""
    paragraphs = [FILLERS[i % 3] for i in range(30)]
    paragraphs.insert(17, WARRANTY)
    return source(counter, "file-manual", paragraphs, vectors=vectors, kind=kind)


def returns(counter: TokenCounter, kind: type[Source] = Source) -> Source:
    paragraphs = ["Shipping takes five days.", CARD, "Parcels go to the address on the invoice."]
    return source(counter, "file-returns", paragraphs, vectors=False, kind=kind)


def counting(make: Callable[[], Embedder]) -> tuple[list[int], Callable[[], Embedder]]:
    made: list[int] = []

    def factory() -> Embedder:
        made.append(1)
        return make()

    return made, factory


def read(
    planner: ContextPlanner, sources: list[Source], question: str = QUESTION, room: int = 120
) -> list[str]:
    request = PlanRequest(sources, [Turn("user", question)], room, FAST, strategy="retrieve", label_tokens=4)
    plan = planner.retrieve(request)
    texts = {s.key: s.document.text for s in sources}
    return [p.text(texts[p.file_id]) for p in plan.passages]


def holds(passages: list[str], sentence: str) -> bool:
    return any(sentence in p for p in passages)


def test_a_file_with_vectors_is_found_by_meaning_and_one_without_by_its_words(counter: TokenCounter) -> None:
    sources = [manual(counter, vectors=True), returns(counter)]
    fused = read(ContextPlanner(SETTINGS, counter, DenseRanking(ConceptEmbedder)), sources)
    assert holds(fused, WARRANTY)  # shares no word with the question: only its vector finds it
    assert holds(fused, CARD)  # the file without vectors takes part through BM25
    lexical = read(ContextPlanner(SETTINGS, counter), sources)
    assert holds(lexical, CARD) and not holds(lexical, WARRANTY)


def test_without_vectors_the_plan_is_the_lexical_plan_and_no_embedder_loads(counter: TokenCounter) -> None:
    sources = [manual(counter, vectors=False), returns(counter)]
    made, factory = counting(ConceptEmbedder)
    with_dense = ContextPlanner(SETTINGS, counter, DenseRanking(factory))
    for question in (QUESTION, "battery light", "How often is the filter rinsed?"):
        assert read(with_dense, sources, question) == read(
            ContextPlanner(SETTINGS, counter), sources, question
        )
    assert made == []


def test_with_dense_ranking_off_no_source_is_asked_for_vectors(counter: TokenCounter) -> None:
    sources = [manual(counter, vectors=True, kind=Unasked), returns(counter, kind=Unasked)]
    assert holds(read(ContextPlanner(SETTINGS, counter), sources), CARD)


def test_the_embedder_is_made_once_for_all_questions(counter: TokenCounter) -> None:
    made, factory = counting(ConceptEmbedder)
    planner = ContextPlanner(SETTINGS, counter, DenseRanking(factory))
    sources = [manual(counter, vectors=True)]
    for question in (QUESTION, "How often is the filter rinsed?", "battery light"):
        read(planner, sources, question)
    assert made == [1]


def test_a_failing_embedder_leaves_the_lexical_ranking(counter: TokenCounter) -> None:
    sources = [manual(counter, vectors=True), returns(counter)]
    broken = read(ContextPlanner(SETTINGS, counter, DenseRanking(BrokenEmbedder)), sources)
    assert broken == read(ContextPlanner(SETTINGS, counter), sources)


def test_vectors_that_do_not_match_the_index_are_not_used(counter: TokenCounter) -> None:
    good = manual(counter, vectors=True)
    assert good.vectors is not None
    stale = Source(
        *[getattr(good, f) for f in ("key", "name", "document", "tokens", "index")],
        vectors=DenseIndex(good.key, "concepts", good.vectors.vectors[:-1]),
    )
    planner = ContextPlanner(SETTINGS, counter, DenseRanking(ConceptEmbedder))
    assert read(planner, [stale]) == read(ContextPlanner(SETTINGS, counter), [stale])


def test_reciprocal_rank_fusion(counter: TokenCounter) -> None:
    one = manual(counter, vectors=True)
    index = one.index
    lexical = [index.passage(c, s) for c, s in [(3, 0.9), (5, 0.5), (7, 0.2)]]
    dense = [(0, 5, 0.8), (0, 9, 0.7)]
    fused = fuse([index], lexical, dense, rrf_k=10, k=10)
    assert [p.chunk for p in fused] == [5, 3, 9, 7]  # 1/12 + 1/11 first, then 1/11, 1/12, 1/13
    assert fused[0].score == pytest.approx((1 / 12 + 1 / 11) / (2 / 11))
    assert fuse([index], lexical[:1], [(0, 3, 0.9)], rrf_k=10, k=10)[0].score == 1.0
    assert [p.chunk for p in fuse([index], lexical, dense, rrf_k=10, k=2)] == [5, 3]
    # the dense ranking alone (the bench's "dense" system): lexical weight 0
    alone = fuse([index], lexical, dense, rrf_k=10, k=10, lexical_weight=0)
    assert [p.chunk for p in alone] == [5, 9]


def test_the_dense_ranking_spans_the_files_with_vectors_by_cosine() -> None:
    first = DenseIndex("a", "t", np.array([[1, 0], [0.6, 0.8]], dtype=np.float16))
    second = DenseIndex("b", "t", np.array([[0.8, 0.6]], dtype=np.float16))
    ranking = dense_ranking([first, None, second], np.array([1.0, 0.0], dtype=np.float32), 2)
    assert [(f, chunk) for f, chunk, _ in ranking] == [(0, 0), (2, 0)]
