"""Pieces of a parsed document sized for a model, and the passages retrieval picks from them.

Spans are half-open ``[start, end)`` character offsets into the ``Document.text`` they came from.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Chunk(BaseModel):
    """A run of whole blocks (paragraphs, table rows, lines) of one page, a few hundred tokens long."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file_id: str
    index: int = Field(description="0-based position among the file's chunks")
    page: int | None = Field(description="1-based page holding the chunk; None when the format has no pages")
    start: int
    end: int
    tokens: int = Field(description="Qwen tokens of the chunk's text (``prefix`` included)")
    heading_path: tuple[str, ...] = Field(
        default=(), description="titles of the headings the chunk sits under, outermost first"
    )
    prefix: str = Field(
        default="",
        description="text to show before the span: a split table's header rows, so each piece reads alone",
    )

    def text(self, document_text: str) -> str:
        """The chunk as a model should read it: ``prefix`` then the span of ``document_text``."""
        body = document_text[self.start : self.end]
        return f"{self.prefix}\n{body}" if self.prefix else body


class Passage(BaseModel):
    """A chunk chosen to answer a question, with where it sits and why it was chosen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file_id: str
    chunk: int = Field(description="the chunk's index in its file")
    page: int | None
    start: int
    end: int
    tokens: int
    score: float = Field(description="relevance in [0, 1], comparable across files of one search")
    heading_path: tuple[str, ...] = ()
    prefix: str = ""

    def text(self, document_text: str) -> str:
        body = document_text[self.start : self.end]
        return f"{self.prefix}\n{body}" if self.prefix else body
