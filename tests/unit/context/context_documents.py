"""Documents for the context tests: real PDFs read with pypdfium2, texts split into paragraphs,
and ``Source``, a document as a plan sees it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from longdoc.context.dense import DenseIndex
from longdoc.context.lexical import LexicalIndex
from longdoc.core.documents import Document
from longdoc.parsing.base import DocumentBuilder

# The shared eval/corpus folder sits beside the repository.
SHARED = Path(__file__).resolve().parents[3].parent / "shared"


@dataclass(frozen=True)
class Source:
    """A document as a plan sees it (``PlanSource``), with the index and vectors it has stored."""

    key: str
    name: str
    document: Document
    tokens: int
    index: LexicalIndex | None = None
    vectors: DenseIndex | None = None

    def stored_index(self) -> LexicalIndex | None:
        return self.index

    def stored_vectors(self) -> DenseIndex | None:
        return self.vectors


def shared_file(relative: str) -> Path:
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared eval/corpus folder sits beside the repository)")
    return path


def pdf_document(path: Path) -> Document:
    """A Document of a PDF's text layer, one page per PDF page, read with pypdfium2."""
    import pypdfium2

    builder = DocumentBuilder("pdf")
    pdf = pypdfium2.PdfDocument(path)
    try:
        for i in range(len(pdf)):
            builder.start_page()
            text = pdf[i].get_textpage().get_text_range()
            builder.paragraph(text.replace("\r\n", "\n").replace("\r", "\n"))
    finally:
        pdf.close()
    return builder.build()


def text_document(text: str) -> Document:
    """A Document with one paragraph per blank-line-separated block of ``text``, no pages."""
    builder = DocumentBuilder("txt")
    for block in text.split("\n\n"):
        builder.paragraph(block)
    return builder.build()
