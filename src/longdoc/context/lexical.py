"""A BM25 index over one file's chunks, stored as flat arrays.

The index is an inverted file in compressed-sparse-row form: terms sorted by their UTF-8 bytes,
and for each term the chunks holding it with the term's frequency there. Serialised, it is a
small JSON header followed by the raw arrays, so loading is a header parse plus zero-copy numpy
views (of a ``bytes`` object or of a memory-mapped file): a 10M-token file (≈ 40k chunks) loads in
milliseconds and a query touches only the postings of its own terms.

The index also keeps the chunk table (pages, spans, tokens, heading paths), so retrieval over a
file needs nothing but its index.
"""

from __future__ import annotations

import json
import math
import mmap
from array import array
from collections import defaultdict
from collections.abc import Sequence
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

from longdoc.context.segment import index_terms, stem, word_parts
from longdoc.core.chunks import Chunk, Passage

MAGIC = b"LDBM25\x00\x01"
FORMAT_VERSION = 1
K1 = 1.2
B = 0.75


def query_terms(query: str) -> list[str]:
    """The distinct index terms of ``query``, in the form the index stores them (stemmed), with
    the parts of its words that mix letters and digits ("FY2018" also searches "2018")."""
    return list(dict.fromkeys(stem(t) for t in index_terms(query) + word_parts(query)))


class LexicalIndex:
    """Okapi BM25 (k1 = 1.2, b = 0.75, Lucene's idf) over the chunks of one file."""

    def __init__(self, header: dict[str, Any], arrays: dict[str, np.ndarray], keep: object = None) -> None:
        self._header = header
        self._arrays = arrays
        self._keep = keep  # the buffer the arrays view (a bytes object or an mmap)
        self.file_id: str = header["file_id"]
        self.chunk_count: int = header["chunks"]
        self.term_count: int = header["terms"]
        self.average_length: float = header["average_length"]
        self._term_blob: memoryview = arrays["term_blob"].data
        self._term_offsets = arrays["term_offsets"]
        self._term_prefixes = arrays["term_prefixes"]
        self._post_offsets = arrays["post_offsets"]
        self._post_chunks = arrays["post_chunks"]
        self._post_freqs = arrays["post_freqs"]
        lengths = arrays["lengths"].astype(np.float32)
        avg = self.average_length or 1.0
        self._length_norm = (K1 * (1.0 - B + B * lengths / avg)).astype(np.float32)

    def under(self, file_id: str) -> LexicalIndex:
        """The same index naming its passages ``file_id`` (a stored index read for another key)."""
        return LexicalIndex({**self._header, "file_id": file_id}, self._arrays, self._keep)

    # -- building
    @classmethod
    def build(cls, chunks: Sequence[Chunk], text: str) -> LexicalIndex:
        """Index ``chunks`` (all of one file, in order), whose spans point into ``text``."""
        raw_ids: defaultdict[str, int] = defaultdict(count().__next__)
        occurrences = array("I")  # raw term id of every term occurrence, chunk after chunk
        lengths = np.zeros(len(chunks), dtype=np.uint32)
        for i, chunk in enumerate(chunks):
            if chunk.index != i:
                raise ValueError(
                    f"chunk {chunk.index} at position {i}: chunks must be the whole file in order"
                )
            terms = index_terms(chunk.text(text))
            if chunk.heading_path:  # the section a chunk sits in names what it is about
                terms += index_terms(chunk.heading_path[-1])
            lengths[i] = len(terms)
            occurrences.extend(map(raw_ids.__getitem__, terms))
        # Stem each distinct raw term once, then number the stems in byte order so that term ids
        # are positions in the sorted term table.
        stems = [stem(t) for t in raw_ids]
        vocabulary = sorted(set(stems), key=str.encode)
        position = {t: i for i, t in enumerate(vocabulary)}
        raw_to_term = np.fromiter((position[s] for s in stems), dtype=np.uint64, count=len(stems))
        del raw_ids, stems, position

        n_chunks = max(len(chunks), 1)
        chunk_of = np.repeat(np.arange(len(chunks), dtype=np.uint64), lengths)
        keys = raw_to_term[np.frombuffer(occurrences, dtype=np.uint32)] * np.uint64(n_chunks) + chunk_of
        del occurrences, chunk_of
        keys, freqs = np.unique(keys, return_counts=True)  # sorted by term, then chunk
        post_terms = keys // np.uint64(n_chunks)
        post_chunks = (keys % np.uint64(n_chunks)).astype(np.uint32)
        del keys
        post_offsets = np.searchsorted(post_terms, np.arange(len(vocabulary) + 1, dtype=np.uint64)).astype(
            np.uint64
        )
        del post_terms
        encoded = [t.encode() for t in vocabulary]
        term_offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
        np.cumsum([len(e) for e in encoded], out=term_offsets[1:])
        arrays = {
            "lengths": lengths,
            "term_blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
            "term_offsets": term_offsets,
            "term_prefixes": np.array([_prefix(e) for e in encoded], dtype=np.uint64),
            "post_offsets": post_offsets,
            "post_chunks": post_chunks,
            "post_freqs": np.minimum(freqs, 65535).astype(np.uint16),
            **_chunk_table(chunks),
        }
        header = {
            "version": FORMAT_VERSION,
            "file_id": chunks[0].file_id if chunks else "",
            "chunks": len(chunks),
            "terms": len(vocabulary),
            "average_length": float(lengths.mean()) if len(chunks) else 0.0,
            "heading_paths": [list(p) for p in dict.fromkeys(c.heading_path for c in chunks)],
            "prefixes": list(dict.fromkeys(c.prefix for c in chunks)),
        }
        return cls(header, arrays)

    # -- persistence
    def to_bytes(self) -> bytes:
        parts: list[bytes] = []
        layout: list[list[Any]] = []
        offset = 0
        for name, values in self._arrays.items():
            data = np.ascontiguousarray(values).tobytes()
            layout.append([name, values.dtype.str, int(values.size), offset])
            parts.append(data)
            pad = -len(data) % 8
            parts.append(b"\x00" * pad)
            offset += len(data) + pad
        header = json.dumps({**self._header, "layout": layout}, ensure_ascii=False).encode()
        header += b" " * (-(len(MAGIC) + 8 + len(header)) % 8)
        return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *parts])

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview | mmap.mmap) -> LexicalIndex:
        """An index viewing ``data`` without copying it; keep ``data`` unchanged while in use."""
        view = memoryview(data)
        if bytes(view[: len(MAGIC)]) != MAGIC:
            raise ValueError("not a longdoc lexical index")
        size = int.from_bytes(view[len(MAGIC) : len(MAGIC) + 8], "little")
        base = len(MAGIC) + 8 + size
        header = json.loads(bytes(view[len(MAGIC) + 8 : base]))
        if header.get("version") != FORMAT_VERSION:
            raise ValueError(f"lexical index version {header.get('version')} is not {FORMAT_VERSION}")
        arrays = {
            name: np.frombuffer(view, dtype=np.dtype(dtype), count=n, offset=base + offset)
            for name, dtype, n, offset in header.pop("layout")
        }
        return cls(header, arrays, keep=data)

    def save(self, path: Path) -> None:
        path.write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        """Memory-maps ``path``: only the pages a query touches are read into memory."""
        with path.open("rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return cls.from_bytes(mapped)

    # -- searching
    def term_ids(self, terms: Sequence[str]) -> dict[str, int]:
        """The ids of those (already stemmed) ``terms`` the file holds.

        Terms are found by their first 8 bytes in a sorted integer array (one vectorised
        search for all of them), then compared whole within the few terms sharing that prefix.
        """
        if not terms or not self.term_count:
            return {}
        keys = [t.encode() for t in terms]
        prefixes = np.array([_prefix(k) for k in keys], dtype=np.uint64)
        lows = np.searchsorted(self._term_prefixes, prefixes, side="left")
        highs = np.searchsorted(self._term_prefixes, prefixes, side="right")
        blob, offsets = self._term_blob, self._term_offsets
        found: dict[str, int] = {}
        for term, key, lo, hi in zip(terms, keys, lows.tolist(), highs.tolist(), strict=True):
            for tid in range(lo, hi):
                if blob[int(offsets[tid]) : int(offsets[tid + 1])] == key:
                    found[term] = tid
                    break
        return found

    def document_frequency(self, term_id: int) -> int:
        """How many chunks hold the term."""
        return int(self._post_offsets[term_id + 1] - self._post_offsets[term_id])

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each term (0 when absent)."""
        ids = self.term_ids(terms)
        return {t: self.document_frequency(ids[t]) if t in ids else 0 for t in terms}

    def scores(self, weights: dict[int, float]) -> np.ndarray:
        """BM25 score of every chunk (float32) for the term ids of ``weights``, each weighted by
        its idf; chunks holding none of the terms score 0."""
        scores = np.zeros(self.chunk_count, dtype=np.float32)
        for tid, weight in weights.items():
            if weight <= 0:
                continue
            lo, hi = int(self._post_offsets[tid]), int(self._post_offsets[tid + 1])
            chunks = self._post_chunks[lo:hi]
            freqs = self._post_freqs[lo:hi].astype(np.float32)
            scores[chunks] += np.float32(weight * (K1 + 1)) * freqs / (freqs + self._length_norm[chunks])
        return scores

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best chunks for ``query`` as (chunk index, BM25 score), best first; only
        chunks sharing a term with the query. Idf is this file's own."""
        ids = self.term_ids(query_terms(query))
        weights = {tid: bm25_idf(self.chunk_count, self.document_frequency(tid)) for tid in ids.values()}
        return top_k(self.scores(weights), k)

    # -- the chunk table
    def chunk(self, index: int) -> Chunk:
        a = self._arrays
        page = int(a["chunk_page"][index])
        return Chunk(
            file_id=self.file_id,
            index=index,
            page=page if page > 0 else None,
            start=int(a["chunk_start"][index]),
            end=int(a["chunk_end"][index]),
            tokens=int(a["chunk_tokens"][index]),
            heading_path=tuple(self._header["heading_paths"][int(a["chunk_heading"][index])]),
            prefix=self._header["prefixes"][int(a["chunk_prefix"][index])],
        )

    def passage(self, index: int, score: float) -> Passage:
        """Chunk ``index`` as a retrieved passage with relevance ``score``."""
        a = self._arrays
        page = int(a["chunk_page"][index])
        return Passage(
            file_id=self.file_id,
            chunk=index,
            page=page if page > 0 else None,
            start=int(a["chunk_start"][index]),
            end=int(a["chunk_end"][index]),
            tokens=int(a["chunk_tokens"][index]),
            score=score,
            heading_path=tuple(self._header["heading_paths"][int(a["chunk_heading"][index])]),
            prefix=self._header["prefixes"][int(a["chunk_prefix"][index])],
        )

    def chunks(self) -> list[Chunk]:
        return [self.chunk(i) for i in range(self.chunk_count)]

    @property
    def chunk_tokens(self) -> np.ndarray:
        return self._arrays["chunk_tokens"]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._arrays.values())


def _prefix(term: bytes) -> int:
    """The first 8 bytes of a term as a big-endian integer: sorts as the bytes do."""
    return int.from_bytes(term[:8].ljust(8, b"\x00"), "big")


def bm25_idf(n_chunks: int, df: int) -> float:
    return math.log(1.0 + (n_chunks - df + 0.5) / (df + 0.5))


def top_k(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Indices and values of the ``k`` largest positive ``scores``, largest first (ties: lower index)."""
    positive = np.flatnonzero(scores > 0)
    if positive.size > k:
        part = np.argpartition(-scores[positive], k - 1)[:k]
        positive = positive[part]
    order = np.lexsort((positive, -scores[positive]))
    return [(int(positive[i]), float(scores[positive[i]])) for i in order]


def _chunk_table(chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
    paths: dict[tuple[str, ...], int] = {}
    prefixes: dict[str, int] = {}
    for c in chunks:
        paths.setdefault(c.heading_path, len(paths))
        prefixes.setdefault(c.prefix, len(prefixes))
    return {
        "chunk_start": np.array([c.start for c in chunks], dtype=np.int64),
        "chunk_end": np.array([c.end for c in chunks], dtype=np.int64),
        "chunk_page": np.array([c.page or 0 for c in chunks], dtype=np.int32),
        "chunk_tokens": np.array([c.tokens for c in chunks], dtype=np.int32),
        "chunk_heading": np.array([paths[c.heading_path] for c in chunks], dtype=np.uint32),
        "chunk_prefix": np.array([prefixes[c.prefix] for c in chunks], dtype=np.uint32),
    }
