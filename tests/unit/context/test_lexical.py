from __future__ import annotations

from pathlib import Path

import pytest
from context_documents import pdf_document, shared_file, text_document

from longdoc.context.chunking import chunk_document
from longdoc.context.lexical import LexicalIndex
from longdoc.context.tokens import TokenCounter
from longdoc.core.chunks import Chunk
from longdoc.core.documents import Document
from longdoc.parsing.base import DocumentBuilder

ESSAY = """Warranty

The X1 vacuum comes with a two-year limited warranty covering the motor and battery.

Cleaning the filter

Rinse the foam filter under cold water every month and let it dry for 24 hours.

Charging

The dock charges the battery in three hours; the light turns green when it is full.
"""


def index_of(doc: Document, counter: TokenCounter, **kw: int) -> tuple[list[Chunk], LexicalIndex]:
    chunks = chunk_document(doc, file_id="file-x", counter=counter, **kw)
    return chunks, LexicalIndex.build(chunks, doc.text)


def body(doc: Document, chunk: Chunk) -> str:
    return doc.text[chunk.start : chunk.end]


def test_finds_the_paragraph_that_answers(counter: TokenCounter) -> None:
    doc = text_document(ESSAY)
    chunks, index = index_of(doc, counter, target_tokens=20, max_tokens=40, min_tokens=0)
    assert len(chunks) >= 3
    best, score = index.search("How long is the warranty?", k=3)[0]
    assert "two-year limited warranty" in body(doc, chunks[best]) and score > 0
    best, _ = index.search("how often should I rinse filters", k=3)[0]
    assert "foam filter" in body(doc, chunks[best])
    assert index.search("zeppelin", k=3) == []


def test_round_trips_through_bytes_and_files(
    counter: TokenCounter, chinese_prose: str, tmp_path: Path
) -> None:
    doc = text_document(chinese_prose)
    chunks, index = index_of(doc, counter)
    data = index.to_bytes()
    loaded = LexicalIndex.from_bytes(data)
    path = tmp_path / "index.bin"
    index.save(path)
    mapped = LexicalIndex.load(path)
    for query in ["LTSP 服务器需要几块网卡？", "GOsa² password reset with a CSV file", "打印机"]:
        expected = index.search(query, k=5)
        assert expected
        assert loaded.search(query, k=5) == expected
        assert mapped.search(query, k=5) == expected
    assert loaded.chunks() == chunks
    assert mapped.chunk_count == len(chunks) and mapped.file_id == "file-x"


def test_rejects_foreign_bytes() -> None:
    with pytest.raises(ValueError):
        LexicalIndex.from_bytes(b"PK\x03\x04 not an index")


def test_chinese_question_over_chinese_text(counter: TokenCounter, chinese_prose: str) -> None:
    doc = text_document(chinese_prose)
    chunks, index = index_of(doc, counter)
    hits = index.search("LTSP 服务器需要几块网卡？", k=3)
    assert any("两块网卡" in body(doc, chunks[i]) for i, _ in hits)
    best, _ = index.search("怎样用 GOsa² 修改或删除用户？", k=1)[0]
    assert "修改或删除用户" in body(doc, chunks[best])


def test_chinese_question_over_the_chinese_corpus_pdf(counter: TokenCounter) -> None:
    doc = pdf_document(shared_file("corpus/pdf/debian-edu-bookworm-manual.zh-cn.pdf"))
    chunks, index = index_of(doc, counter)
    hits = index.search("LTSP 服务器需要几块网卡？", k=3)
    assert any("两块网卡" in body(doc, chunks[i]) for i, _ in hits)
    best, _ = index.search("怎样设置打印机？", k=1)[0]
    assert "打印机" in body(doc, chunks[best])
    assert chunks[best].page is not None


def test_empty_file(counter: TokenCounter) -> None:
    index = LexicalIndex.build([], "")
    assert index.search("anything", k=5) == []
    assert LexicalIndex.from_bytes(index.to_bytes()).chunk_count == 0


def test_search_over_real_english_pdf(counter: TokenCounter) -> None:
    doc = pdf_document(shared_file("corpus/pdf/R-intro.pdf"))
    chunks, index = index_of(doc, counter)
    best, _ = index.search("How do I fit a linear regression model with lm?", k=1)[0]
    assert "lm(" in body(doc, chunks[best])


def test_a_chunk_is_found_by_the_heading_of_its_section(counter: TokenCounter) -> None:
    builder = DocumentBuilder("txt")
    builder.heading(1, "Owner's manual")
    builder.heading(2, "Warranty")
    builder.paragraph("Two years on the motor and battery, from the date of purchase.")
    builder.heading(2, "Cleaning")
    builder.paragraph("Rinse the foam filter under cold water every month.")
    doc = builder.build()
    chunks, index = index_of(doc, counter, target_tokens=20, max_tokens=40, min_tokens=0)
    best, _ = index.search("warranty years", k=1)[0]
    assert chunks[best].heading_path == ("Owner's manual", "Warranty")
    assert "Two years on the motor" in body(doc, chunks[best])


def test_a_year_in_a_question_meets_the_same_year_in_a_table(counter: TokenCounter) -> None:
    doc = text_document(
        "Revenue by year\n\n| year | revenue |\n| --- | --- |\n| 2017 | 1,102 |\n| 2018 | 1,234 |\n\n"
        "The outlook for the next year is cautious."
    )
    chunks, index = index_of(doc, counter, target_tokens=12, max_tokens=20, min_tokens=0)
    best, _ = index.search("FY2018 revenue", k=1)[0]
    assert "| 2018 | 1,234 |" in body(doc, chunks[best])
