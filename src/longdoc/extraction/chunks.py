"""Which chunks of the documents an extraction reads, in document order.

Documents are read whole, chunk after chunk, cut into parts (``context.parts``, as map-reduce
cuts them) of at most ``part_tokens`` (a small model misses less in a short part). A document longer than ``prefilter_min_tokens``, or a reading
estimated too long for a synchronous request, is narrowed to the chunks its lexical index matches
with the field names and the instruction's terms (scoring at least ``MATCH_FLOOR`` of the best),
each with its neighbours (a list's rows often sit a chunk away from its heading); when nothing
matches, it is read whole. ``field_relevance`` says how well each part matches each field's name
and description, so a single object's field can trust the part about it most (the governing-law
clause for a jurisdiction, not the address in the letterhead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from longdoc.config import ContextSettings
from longdoc.context.indexing import build_index
from longdoc.context.lexical import LexicalIndex
from longdoc.context.parts import Part
from longdoc.context.tokens import TokenCounter
from longdoc.documents.ready import ReadyDocument

MATCH_FLOOR = 0.05  # a chunk matches when it scores this share of the best chunk's score


def document_index(
    document: ReadyDocument, counter: TokenCounter, settings: ContextSettings, chunk_tokens: int
) -> LexicalIndex:
    """The index stored when the file was parsed, if its chunks are small enough; else one built
    now with chunks of about ``chunk_tokens`` (a small model lists a few items per part well)."""
    stored = document.stored_index()
    if stored is not None and settings.chunk_target_tokens <= chunk_tokens:
        return stored
    small = settings.model_copy(
        update={
            "chunk_target_tokens": chunk_tokens,
            "chunk_max_tokens": max(chunk_tokens * 3 // 2, settings.chunk_min_tokens + 1),
            "chunk_min_tokens": min(settings.chunk_min_tokens, chunk_tokens // 4),
        }
    )
    return build_index(document.document, file_id=document.key, counter=counter, settings=small)


def chosen_chunks(index: LexicalIndex, tokens: int, query: str, prefilter_min_tokens: int) -> list[int]:
    every = list(range(index.chunk_count))
    if tokens <= prefilter_min_tokens or not query.strip():
        return every
    scored = index.search(query, k=index.chunk_count)
    top = max((score for _, score in scored), default=0.0)
    # a chunk that shares only words found everywhere ("the", "data") scores next to nothing
    hits = [chunk for chunk, score in scored if score > 0 and score >= MATCH_FLOOR * top]
    if not hits:
        return every
    keep = {n for hit in hits for n in (hit - 1, hit, hit + 1) if 0 <= n < index.chunk_count}
    return sorted(keep)


def field_relevance(
    fields: Mapping[str, str], indexes: Sequence[LexicalIndex], parts: Sequence[Part]
) -> dict[str, dict[int, float]]:
    """For each field (name → its description), each part's best chunk score for the field's words,
    as a share of the best part's (1.0 for all when no part shares a word with it)."""
    relevance: dict[str, dict[int, float]] = {}
    for name, description in fields.items():
        query = f"{name.replace('_', ' ')} {description}"
        scores = [dict(index.search(query, k=index.chunk_count)) for index in indexes]
        best = {p.number: max((scores[p.source].get(c, 0.0) for c in p.chunks), default=0.0) for p in parts}
        top = max(best.values(), default=0.0)
        relevance[name] = {n: (score / top if top > 0 else 1.0) for n, score in best.items()}
    return relevance
