"""A parsed document: text in reading order plus the structure needed to cite it.

Every span is a half-open ``[start, end)`` range of character offsets into ``Document.text``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ParsingStrategy(StrEnum):
    """How much OCR a parse may run (the services' ``file_parsing_strategy``)."""

    TEXT_ONLY = "text_only"
    AUTO = "auto"
    TEXT_AND_IMAGES = "text_and_images"


class _Domain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Page(_Domain):
    """One page, slide, sheet or chapter and where its text sits in the document."""

    number: int = Field(description="1-based position in the document")
    start: int
    end: int
    label: str | None = Field(default=None, description="e.g. a sheet name or a chapter title")
    ocr: bool = Field(default=False, description="whether this page's text came from OCR")


class Heading(_Domain):
    level: int
    text: str
    start: int


class Table(_Domain):
    """A table rendered as Markdown inside the text; the span covers the whole table."""

    page: int
    start: int
    end: int


class PageError(_Domain):
    """A part of the document that could not be read; the rest still parsed."""

    page: int | None
    reason: str
    category: str = Field(default="parse", description="parse, ocr, limit, ...")


class Document(_Domain):
    format: str = Field(description="the detected format, e.g. pdf, docx, txt")
    text: str
    pages: list[Page] = Field(default_factory=list)
    headings: list[Heading] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    errors: list[PageError] = Field(default_factory=list)
    title: str | None = None
    encoding: str | None = Field(default=None, description="the text encoding, for text formats")

    def page_at(self, offset: int) -> int | None:
        """The number of the page holding character ``offset``, if pages are known."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return None

    def page_text(self, page: Page) -> str:
        return self.text[page.start : page.end]
