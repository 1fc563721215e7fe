"""What one extraction reads (the plan's outcome), and where in its documents a value is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from longdoc.context.lexical import LexicalIndex
from longdoc.context.parts import Part
from longdoc.documents.ready import ReadyDocument
from longdoc.extraction.grounding import Grounding, Match
from longdoc.extraction.profiles import NO_PROFILE, Profile
from longdoc.extraction.schema import TargetSchema


@dataclass(frozen=True)
class ExtractionJob:
    target: TargetSchema
    instruction: str
    documents: Sequence[ReadyDocument]
    indexes: Sequence[LexicalIndex]
    parts: Sequence[Part]
    grounding: bool = False
    keys: Sequence[str] = ()
    relevance: Mapping[str, Mapping[int, float]] = field(default_factory=dict)  # field → part → 0..1
    profile: Profile = NO_PROFILE  # the domain rules the request opted into
    examples: str = ""  # the caller's examples as every part's prompt shows them (``examples``)
    estimated_seconds: float = 0.0  # what the plan expected the reading to take (erring long)


def located(
    name: str, start: int, end: int, match: Match, document: ReadyDocument, value: str | None = None
) -> Grounding:
    """The grounding of ``name``'s value (or of ``value``, one element of a list field) written at
    ``start:end`` of the document's text."""
    text = document.document.text
    page = document.document.page_at(start)
    return Grounding(name, document.file_id or document.key, page, start, end, text[start:end], match, value)
