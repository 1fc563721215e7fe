"""A document in a request: parsed, counted and ready to be read by chat or extraction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from longdoc.context.dense import DenseIndex
from longdoc.context.lexical import LexicalIndex
from longdoc.core.documents import Document


@dataclass(frozen=True)
class ReadyDocument:
    index: int  # 1-based, in conversation order
    name: str
    file_id: str | None  # None for a document given as text
    document: Document
    tokens: int  # Qwen tokens, as billed
    url: str | None = None  # where a doc_url document came from
    # loads the index the parse job stored (lazily: small requests never need it)
    index_loader: Callable[[], LexicalIndex | None] | None = field(default=None, compare=False, repr=False)
    # loads the dense vectors of that index, once the background job stored them (uploaded files only)
    vectors_loader: Callable[[], DenseIndex | None] | None = field(default=None, compare=False, repr=False)

    @property
    def referenced(self) -> bool:
        """Given by reference (file id or URL): billed whole, its text is not in the messages."""
        return self.file_id is not None or self.url is not None

    @property
    def key(self) -> str:
        """Unique within a request: the file id, or the document's position for text and URLs."""
        return self.file_id or f"document-{self.index}"

    def stored_index(self) -> LexicalIndex | None:
        """The index stored with the document, naming its passages by this document's key."""
        index = self.index_loader() if self.index_loader is not None else None
        return index if index is None or index.file_id == self.key else index.under(self.key)

    def stored_vectors(self) -> DenseIndex | None:
        """The dense vectors of the stored index's chunks, in its chunk order, if built."""
        return self.vectors_loader() if self.vectors_loader is not None else None
