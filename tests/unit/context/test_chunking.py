from __future__ import annotations

import re
import time

import pytest
from context_documents import pdf_document, shared_file, text_document

from longdoc.context.chunking import chunk_document
from longdoc.context.tokens import TokenCounter
from longdoc.core.chunks import Chunk
from longdoc.core.documents import Document
from longdoc.parsing.base import DocumentBuilder

SENTENCE = "The committee reviewed the quarterly numbers and agreed to publish them on the website. "


def check_invariants(doc: Document, chunks: list[Chunk], counter: TokenCounter, max_tokens: int) -> None:
    """Chunks are ordered, disjoint, inside one page each, and cover every visible character."""
    assert [c.index for c in chunks] == list(range(len(chunks)))
    covered = bytearray(len(doc.text))
    previous_end = 0
    for c in chunks:
        assert previous_end <= c.start < c.end <= len(doc.text)
        previous_end = c.end
        body = doc.text[c.start : c.end]
        assert body == body.strip()
        if c.page is not None:
            page = doc.pages[c.page - 1]
            assert page.start <= c.start and c.end <= page.end
        assert c.tokens == counter.count(c.text(doc.text))
        assert c.tokens <= max_tokens + counter.count(c.prefix) + 2
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    missed = "".join(ch for ch, hit in zip(doc.text, covered, strict=True) if not hit)
    assert missed.strip() == ""


def test_headings_start_chunks_and_carry_their_path(counter: TokenCounter) -> None:
    b = DocumentBuilder("docx")
    b.heading(1, "Owner's guide")
    b.heading(2, "Installing")
    for _ in range(3):
        b.paragraph(SENTENCE * 3)
    b.heading(2, "Cleaning")
    b.paragraph(SENTENCE * 3)
    b.heading(3, "Filters")
    b.paragraph(SENTENCE * 2)
    doc = b.build()
    chunks = chunk_document(doc, file_id="file-1", counter=counter, target_tokens=120, max_tokens=200)
    check_invariants(doc, chunks, counter, 200)
    assert chunks[0].heading_path == ("Owner's guide", "Installing")
    assert doc.text[chunks[0].start :].startswith("Owner's guide\n\nInstalling")
    cleaning = [c for c in chunks if doc.text[c.start : c.end].startswith("Cleaning")]
    assert len(cleaning) == 1 and cleaning[0].heading_path == ("Owner's guide", "Cleaning")
    filters = [c for c in chunks if doc.text[c.start : c.end].startswith("Filters")]
    assert filters[0].heading_path == ("Owner's guide", "Cleaning", "Filters")
    assert all(c.file_id == "file-1" for c in chunks)


def test_short_sections_are_read_together(counter: TokenCounter) -> None:
    b = DocumentBuilder("docx")
    for i in range(6):
        b.heading(2, f"Step {i}")
        b.paragraph("Press the button.")
    doc = b.build()
    chunks = chunk_document(
        doc, file_id="f", counter=counter, target_tokens=256, max_tokens=384, min_tokens=32
    )
    assert len(chunks) < 6
    check_invariants(doc, chunks, counter, 384)


def test_a_chunk_never_spans_two_pages(counter: TokenCounter) -> None:
    b = DocumentBuilder("pdf")
    for page in range(5):
        b.start_page()
        b.paragraph(f"Page {page + 1} opens here. " + SENTENCE * (page * 4))
    doc = b.build()
    chunks = chunk_document(doc, file_id="f", counter=counter, target_tokens=100, max_tokens=150)
    check_invariants(doc, chunks, counter, 150)
    assert [c.page for c in chunks if doc.text[c.start : c.end].startswith("Page")] == [1, 2, 3, 4, 5]


def test_table_rows_stay_whole_and_header_repeats(counter: TokenCounter) -> None:
    rows = [["Code", "Country", "Capital"]] + [
        [f"C{i:03}", f"Country number {i}", f"City {i}"] for i in range(150)
    ]
    b = DocumentBuilder("xlsx")
    b.paragraph("Countries and their capitals.")
    b.table(rows)
    doc = b.build()
    chunks = chunk_document(doc, file_id="f", counter=counter, target_tokens=200, max_tokens=300)
    check_invariants(doc, chunks, counter, 300)
    header = "| Code | Country | Capital |\n|---|---|---|"
    assert doc.text[chunks[0].start : chunks[0].end].startswith("Countries and their capitals.\n\n" + header)
    assert len(chunks) > 3
    for c in chunks[1:]:
        body = doc.text[c.start : c.end]
        assert body.startswith("| C") and body.endswith("|")
        assert c.prefix == header
        assert c.text(doc.text).startswith(header + "\n| C")


def test_a_very_wide_header_is_not_repeated(counter: TokenCounter) -> None:
    rows = [[f"column {j}" for j in range(2_000)]] + [["x"] * 2_000 for _ in range(200)]
    b = DocumentBuilder("csv")
    b.table(rows)
    doc = b.build()
    started = time.perf_counter()
    chunks = chunk_document(doc, file_id="f", counter=counter, target_tokens=200, max_tokens=300)
    assert time.perf_counter() - started < 10  # repeating a 10,000-token header per chunk took minutes
    assert all(c.prefix == "" for c in chunks)
    assert sum(c.tokens for c in chunks) < 1.2 * counter.count(doc.text)


def test_long_paragraphs_are_cut_between_sentences(counter: TokenCounter) -> None:
    doc = text_document(SENTENCE * 120)
    chunks = chunk_document(doc, file_id="f", counter=counter, target_tokens=100, max_tokens=150)
    check_invariants(doc, chunks, counter, 150)
    assert len(chunks) > 5
    assert all(doc.text[c.start : c.end].endswith("website.") for c in chunks)


def test_text_without_any_seam_is_cut_on_tokens(counter: TokenCounter) -> None:
    doc = text_document("x" * 20_000 + "\n\n" + "数" * 3000)
    chunks = chunk_document(doc, file_id="f", counter=counter, target_tokens=100, max_tokens=120)
    check_invariants(doc, chunks, counter, 120)


def test_real_chinese_text(counter: TokenCounter, chinese_prose: str) -> None:
    doc = text_document(chinese_prose)
    chunks = chunk_document(doc, file_id="f", counter=counter)
    check_invariants(doc, chunks, counter, 384)
    assert sum(c.tokens for c in chunks) == pytest.approx(counter.count(doc.text), rel=0.02)


def test_real_pdf(counter: TokenCounter) -> None:
    doc = pdf_document(shared_file("corpus/pdf/R-intro.pdf"))
    chunks = chunk_document(doc, file_id="f", counter=counter)
    check_invariants(doc, chunks, counter, 384)
    assert {c.page for c in chunks} == {p.number for p in doc.pages if doc.page_text(p).strip()}


def test_empty_document(counter: TokenCounter) -> None:
    assert chunk_document(text_document(""), file_id="f", counter=counter) == []


def test_chunking_is_fast(counter: TokenCounter, chinese_prose: str) -> None:
    english = re.sub(r"[^\x00-\x7f]+", " ", chinese_prose)
    doc = text_document((chinese_prose + "\n\n" + english + "\n\n") * 20)
    started = time.perf_counter()
    chunks = chunk_document(doc, file_id="f", counter=counter)
    elapsed = time.perf_counter() - started
    tokens = sum(c.tokens for c in chunks)
    assert tokens > 200_000
    assert elapsed < 10.0  # ≈ 0.4 s here; 10M tokens take ≈ 12 s (see bench/retrieval_bench.py)
