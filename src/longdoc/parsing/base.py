"""What every format backend shares: the request it gets, the OCR it may use, and a builder that
assembles text, pages, headings and tables into a ``core.Document`` with exact character spans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from longdoc.config import ParsingSettings
from longdoc.core.documents import Document, Heading, Page, PageError, ParsingStrategy, Table

# a table may grow this many times its cells (plus the floor) by padding short rows
_PADDING_FACTOR = 4
_PADDING_FLOOR = 10_000


class OcrEngine(Protocol):
    """Reads the text in an image (a ``PIL.Image.Image``); English and Chinese."""

    def recognize(self, image: object) -> str: ...


@dataclass(frozen=True)
class ParseRequest:
    path: Path
    strategy: ParsingStrategy = ParsingStrategy.AUTO
    filename: str | None = None
    settings: ParsingSettings = field(default_factory=ParsingSettings)
    ocr: OcrEngine | None = None  # None under text_only

    @property
    def ocr_images(self) -> bool:
        """Whether text inside images embedded in pages should be read too."""
        return self.strategy is ParsingStrategy.TEXT_AND_IMAGES and self.ocr is not None


class ParserBackend(Protocol):
    """One format family. ``formats`` are the names ``sniff`` returns for it."""

    formats: tuple[str, ...]

    def parse(self, request: ParseRequest) -> Document: ...


def markdown_table(rows: Sequence[Sequence[object]]) -> str:
    """Rows as a Markdown table; the first row is the header. Cells are flattened to one line.

    Short rows are padded to the widest, unless that would multiply the table's cells (one very
    wide row among many short ones would make the output quadratic in the input). Such a ragged
    table is written as rows of cells without the header rule: it has no header worth the name,
    and readers that repeat a table's header with its rows (chunking) would repeat a huge one.
    """
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    present = sum(len(r) for r in rows)
    pad = width * len(rows) <= _PADDING_FACTOR * present + _PADDING_FLOOR

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return " ".join(text.split()).replace("|", "\\|")

    lines = []
    for i, row in enumerate(rows):
        cells = [cell(v) for v in row] + [""] * ((width - len(row)) if pad else 0)
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0 and pad:
            lines.append("|" + "---|" * width)
    return "\n".join(lines)


class DocumentBuilder:
    """Appends blocks in reading order; blocks are separated by a blank line, pages likewise.

    >>> b = DocumentBuilder("docx")
    >>> b.start_page(label="Sheet1"); b.heading(1, "Title"); b.paragraph("Body.")
    >>> doc = b.build()
    """

    def __init__(self, fmt: str, *, title: str | None = None, encoding: str | None = None) -> None:
        self._fmt = fmt
        self._title = title
        self._encoding = encoding
        self._parts: list[str] = []
        self._length = 0
        self._pages: list[Page] = []
        self._page_start: int | None = None
        self._page_label: str | None = None
        self._page_ocr = False
        self._headings: list[Heading] = []
        self._tables: list[Table] = []
        self._errors: list[PageError] = []

    # -- pages
    def start_page(self, *, label: str | None = None, ocr: bool = False) -> None:
        self.end_page()
        if self._length:
            self._append("\n\n")
        self._page_start = self._length
        self._page_label = label
        self._page_ocr = ocr

    def end_page(self) -> None:
        if self._page_start is None:
            return
        self._pages.append(
            Page(
                number=len(self._pages) + 1,
                start=self._page_start,
                end=self._length,
                label=self._page_label,
                ocr=self._page_ocr,
            )
        )
        self._page_start = None

    @property
    def page_number(self) -> int | None:
        return len(self._pages) + 1 if self._page_start is not None else None

    def mark_ocr(self) -> None:
        """Record that the current page's text came from OCR."""
        self._page_ocr = True

    # -- blocks
    def heading(self, level: int, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        start = self._block_start()
        self._headings.append(Heading(level=level, text=text, start=start))
        self._append(text)

    def paragraph(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        self._block_start()
        self._append(text)

    def table(self, rows: Sequence[Sequence[object]]) -> None:
        rendered = markdown_table(rows)
        if not rendered:
            return
        start = self._block_start()
        self._append(rendered)
        self._tables.append(Table(page=self.page_number or 1, start=start, end=self._length))

    def error(self, reason: str, *, page: int | None = None, category: str = "parse") -> None:
        self._errors.append(
            PageError(page=page if page is not None else self.page_number, reason=reason, category=category)
        )

    def build(self) -> Document:
        self.end_page()
        return Document(
            format=self._fmt,
            text="".join(self._parts),
            pages=self._pages,
            headings=self._headings,
            tables=self._tables,
            errors=self._errors,
            title=self._title,
            encoding=self._encoding,
        )

    # -- internals
    def _block_start(self) -> int:
        at_page_start = self._page_start is not None and self._length == self._page_start
        if self._length and not at_page_start:
            self._append("\n\n")
        return self._length

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)
