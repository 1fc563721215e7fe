"""Stored lexical indexes, loaded from the blob store and kept while they are used.

Every index a parse builds — an uploaded file's, a doc_url's — is a blob; this is the one place
that opens them. Indexes are memory-mapped, so an entry costs little memory; the bound keeps open
mappings (and their pages) in check.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from longdoc.context.lexical import LexicalIndex
from longdoc.storage.blobs import BlobStore


class StoredIndexes:
    """The most recently used stored indexes, by blob hash."""

    def __init__(self, blobs: BlobStore, capacity: int) -> None:
        self._blobs = blobs
        self._capacity = capacity
        self._entries: OrderedDict[str, LexicalIndex] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, sha256: str) -> LexicalIndex:
        """The index stored as blob ``sha256`` (FileNotFoundError when the blob is gone)."""
        with self._lock:
            found = self._entries.get(sha256)
            if found is not None:
                self._entries.move_to_end(sha256)
                return found
        loaded = LexicalIndex.load(self._blobs.local_path(sha256))
        with self._lock:
            self._entries[sha256] = loaded
            self._entries.move_to_end(sha256)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return loaded

    def discard(self, sha256: str) -> None:
        with self._lock:
            self._entries.pop(sha256, None)
