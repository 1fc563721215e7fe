from __future__ import annotations

from context_documents import text_document

from longdoc.context.chunking import chunk_document
from longdoc.context.lexical import LexicalIndex
from longdoc.context.query import WeightedQuery, search_weighted
from longdoc.context.retrieval import cover_files, select_passages
from longdoc.context.tokens import TokenCounter
from longdoc.core.chunks import Passage
from longdoc.core.documents import Document

FILLER = (
    "The quarterly report describes the vacuum market, battery suppliers and the warranty claims "
    "handled by the service team, with notes on shipping and returns."
)
ANSWER = "The X1 vacuum has a two-year warranty on its motor and battery; the X2 has five years."


def build(file_id: str, doc: Document, counter: TokenCounter) -> LexicalIndex:
    chunks = chunk_document(doc, file_id=file_id, counter=counter, target_tokens=60, max_tokens=90)
    return LexicalIndex.build(chunks, doc.text)


def search(indexes: list[LexicalIndex], question: str, k: int = 50, diversity: float = 0.85) -> list[Passage]:
    """The ranking the planner starts from (``search_weighted``), for a question alone."""
    return search_weighted(indexes, WeightedQuery(((question, 1.0),)), k=k, diversity=diversity)


def numbered(n: int, sentence: str) -> Document:
    return text_document("\n\n".join(f"Section {i}. {sentence}" for i in range(n)))


def test_a_small_file_with_the_answer_beats_a_big_file_of_near_misses(counter: TokenCounter) -> None:
    big = build("file-big", numbered(400, FILLER), counter)
    small = build("file-small", text_document(f"Specifications.\n\n{ANSWER}"), counter)
    ranked = search([big, small], "How long is the X1 vacuum warranty?", k=10)
    assert ranked[0].file_id == "file-small"
    assert 0 < ranked[-1].score <= ranked[0].score <= 1
    assert {p.file_id for p in ranked} == {"file-big", "file-small"}


def test_diversity_interleaves_files(counter: TokenCounter) -> None:
    a = build("file-a", numbered(50, "Battery warranty terms for the vacuum."), counter)
    b = build("file-b", numbered(50, "Battery warranty terms for the vacuum cleaner range."), counter)
    plain = search([a, b], "battery warranty vacuum", k=10, diversity=1.0)
    mixed = search([a, b], "battery warranty vacuum", k=10, diversity=0.5)
    assert len({p.file_id for p in plain[:5]}) == 1  # one file's shorter chunks all score higher
    assert {p.file_id for p in mixed[:2]} == {"file-a", "file-b"}


def test_select_fills_the_budget_best_first_in_document_order(counter: TokenCounter) -> None:
    a = build("file-a", numbered(30, FILLER), counter)
    b_doc = text_document(f"Intro.\n\n{ANSWER}\n\n{FILLER}")
    b = build("file-b", b_doc, counter)
    ranked = search([a, b], "X1 vacuum warranty motor", k=40)
    chosen = select_passages(ranked, 200, file_order=["file-a", "file-b"], overhead_tokens=5)
    used = sum(p.tokens + 5 for p in chosen)
    assert used <= 200
    assert ranked[0] in chosen and "two-year" in ranked[0].text(b_doc.text)
    keys = [(["file-a", "file-b"].index(p.file_id), p.start) for p in chosen]
    assert keys == sorted(keys)
    # Greedy: whatever was left out did not fit in the room that was left.
    assert all(p.tokens + 5 > 200 - used for p in ranked if p not in chosen)


def test_cover_spreads_over_the_whole_file(counter: TokenCounter) -> None:
    doc = numbered(300, FILLER)
    index = build("file-a", doc, counter)
    passages = cover_files([index], 600)
    assert sum(p.tokens for p in passages) <= 600
    starts = [p.start for p in passages]
    assert starts == sorted(starts)
    assert starts[0] < len(doc.text) * 0.15 and starts[-1] > len(doc.text) * 0.8


def test_cover_prefers_matching_chunks_and_shares_the_budget(counter: TokenCounter) -> None:
    doc = text_document("\n\n".join(f"Section {i}. {FILLER}" if i != 137 else ANSWER for i in range(300)))
    big = build("file-big", doc, counter)
    tiny = build("file-tiny", text_document("A short note about shipping."), counter)
    passages = cover_files([big, tiny], 800, query="X1 two-year warranty")
    assert any("two-year" in p.text(doc.text) for p in passages if p.file_id == "file-big")
    assert [p.file_id for p in passages][-1] == "file-tiny"  # small file read whole, in file order
    assert sum(p.tokens for p in passages) <= 800


def test_empty_inputs() -> None:
    assert search([], "anything") == []
    assert select_passages([], 100) == []
    assert cover_files([], 100) == []
