"""Stored lexical indexes and dense vectors, loaded from the blob store and kept while they are used.

Every index a parse builds — an uploaded file's, a doc_url's — is a blob, and so are the vectors
the background embedding job builds; this is the one place that opens them. Indexes are
memory-mapped, so an entry costs little memory; vectors are small (≈ 0.8 KB a chunk); the bound
keeps open mappings (and their pages) in check.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from longdoc.context.dense import DenseIndex
from longdoc.context.lexical import LexicalIndex
from longdoc.storage.blobs import BlobStore

Loaded = TypeVar("Loaded", LexicalIndex, DenseIndex)


class StoredIndexes:
    """The most recently used stored indexes and vectors, by blob hash."""

    def __init__(self, blobs: BlobStore, capacity: int) -> None:
        self._blobs = blobs
        self._capacity = capacity
        self._entries: OrderedDict[str, LexicalIndex | DenseIndex] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, sha256: str) -> LexicalIndex:
        """The index stored as blob ``sha256`` (FileNotFoundError when the blob is gone)."""
        return self._cached(sha256, LexicalIndex, LexicalIndex.load)

    def load_vectors(self, sha256: str) -> DenseIndex:
        """The dense vectors stored as blob ``sha256`` (FileNotFoundError when the blob is gone)."""
        return self._cached(sha256, DenseIndex, lambda path: DenseIndex.from_bytes(path.read_bytes()))

    def _cached(self, sha256: str, kind: type[Loaded], opener: Callable[[Path], Loaded]) -> Loaded:
        with self._lock:
            found = self._entries.get(sha256)
            if isinstance(found, kind):
                self._entries.move_to_end(sha256)
                return found
        loaded = opener(self._blobs.local_path(sha256))
        with self._lock:
            self._entries[sha256] = loaded
            self._entries.move_to_end(sha256)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return loaded

    def discard(self, sha256: str) -> None:
        with self._lock:
            self._entries.pop(sha256, None)
