"""A document → its lexical index, the same way in the parse job and for documents read ad hoc."""

from __future__ import annotations

from longdoc.config import ContextSettings
from longdoc.context.chunking import chunk_document
from longdoc.context.lexical import LexicalIndex
from longdoc.context.tokens import TokenCounter
from longdoc.core.documents import Document


def build_index(
    document: Document, *, file_id: str, counter: TokenCounter, settings: ContextSettings
) -> LexicalIndex:
    """Chunk ``document`` as ``settings`` say and index the chunks under ``file_id``."""
    chunks = chunk_document(
        document,
        file_id=file_id,
        counter=counter,
        target_tokens=settings.chunk_target_tokens,
        max_tokens=settings.chunk_max_tokens,
        min_tokens=settings.chunk_min_tokens,
    )
    return LexicalIndex.build(chunks, document.text)
