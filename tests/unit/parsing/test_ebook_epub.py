"""EPUB backend: spine order, fragment hrefs, nested books, fallbacks, and the HTML reader."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import ParseRequest
from longdoc.parsing.epub_backend import EpubBackend, read_package
from longdoc.parsing.html_blocks import html_blocks

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
LIVE_MANUAL = DOCUMENTS / "live-manual.en.epub"
NESTED = DOCUMENTS / "debian-edu-manual.zh-cn.part.epub"


def parse(path: Path) -> object:
    return EpubBackend().parse(ParseRequest(path=path))


def test_fragment_hrefs_read_each_file_once() -> None:
    # the spine lists about-manual.xhtml, then about-manual.xhtml#o8, #o12, ... (190 itemrefs)
    with zipfile.ZipFile(LIVE_MANUAL) as archive:
        package = read_package(archive)
    assert len(package.chapters) == len(set(package.chapters)) == 47
    assert package.chapters[:3] == ["OEBPS/index.xhtml", "OEBPS/section_a1.xhtml", "OEBPS/section_b1.xhtml"]
    doc = parse(LIVE_MANUAL)
    assert doc.title == "Live Systems Manual"
    assert doc.text.count("1.1 For the impatient") == 2  # once in the contents page, once in its chapter
    assert doc.errors == []


def test_book_nested_under_a_folder() -> None:
    with zipfile.ZipFile(NESTED) as archive:
        assert "META-INF/container.xml" not in archive.namelist()
        package = read_package(archive)
    assert package.chapters == [
        "epub/OEBPS/index.html",
        "epub/OEBPS/ar01s02.html",
        "epub/OEBPS/ar01s03.html",
        "epub/OEBPS/ar01s04.html",
    ]
    doc = parse(NESTED)
    assert [p.label for p in doc.pages] == [
        "Debian Edu / Skolelinux 12 Bookworm 手册",
        "关于 Debian Edu 和 Skolelinux",
        "结构",
        "需求",
    ]
    assert (1, "需求") in [(h.level, h.text) for h in doc.headings]
    assert "- LTSP 服务器在使用缺省网络架构时需要两个网卡：\n  - eth0 连接到主网（10.0.0.0/8），" in doc.text


def _rewrite(source: Path, target: Path, keep: Callable[[str], bool]) -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            if keep(info.filename):
                dst.writestr(info, src.read(info))


def test_missing_container_falls_back_to_the_opf(tmp_path: Path) -> None:
    book = tmp_path / "no-container.epub"
    _rewrite(LIVE_MANUAL, book, lambda name: name != "META-INF/container.xml")
    assert parse(book).text == parse(LIVE_MANUAL).text


def test_zip_without_any_package_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "bare.epub"
    _rewrite(LIVE_MANUAL, book, lambda name: name.endswith(".xhtml"))
    with pytest.raises(ParseFailed, match=r"not an EPUB: the zip holds no META-INF/container\.xml"):
        parse(book)


def test_not_a_zip(tmp_path: Path) -> None:
    book = tmp_path / "book.epub"
    book.write_text("plain text")
    with pytest.raises(ParseFailed, match="not an EPUB"):
        parse(book)


def test_a_broken_chapter_is_recorded_and_the_rest_parses(tmp_path: Path) -> None:
    raw = bytearray(LIVE_MANUAL.read_bytes())
    # flip a byte inside the compressed data of one chapter: reading that member now fails
    member = b"OEBPS/bugs.xhtml"
    raw[raw.find(member) + len(member) + 40] ^= 0xFF
    book = tmp_path / "broken.epub"
    book.write_bytes(bytes(raw))
    doc = parse(book)
    assert len(doc.errors) == 1 and "OEBPS/bugs.xhtml" in doc.errors[0].reason
    assert doc.errors[0].page is not None
    assert "1.1 For the impatient" in doc.text and len(doc.pages) == 47


HTML = b"""<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title><style>p{}</style></head>
<body><script>var x = 1;</script>
<h2>Caf\xc3\xa9  <em>menu</em></h2>
<p>First line<br/>second   line</p>
<ol start="3"><li><p>three</p><ul><li>nested</li></ul></li><li>four</li></ol>
<table><tr><th rowspan="2">a</th><th colspan="2">b</th></tr><tr><td>c</td><td>d</td></tr></table>
<pre>  keep
    spacing</pre>
<div>loose <b>inline</b> text<mbp:pagebreak/>after break</div>
</body></html>"""


def test_html_blocks() -> None:
    book = html_blocks(HTML)
    assert book.title == "T"
    assert [(b.kind, b.text, b.level, b.rows) for b in book.blocks] == [
        ("heading", "Café menu", 2, []),
        ("paragraph", "First line\nsecond line", 0, []),
        ("paragraph", "3. three\n  - nested\n4. four", 0, []),
        ("table", "", 0, [["a", "b", ""], ["", "c", "d"]]),
        ("paragraph", "  keep\n    spacing", 0, []),
        ("paragraph", "loose inline text", 0, []),
        ("break", "", 0, []),
        ("paragraph", "after break", 0, []),
    ]


def test_html_encoding_from_meta_charset() -> None:
    data = '<html><head><meta charset="gb18030"></head><body><p>需求</p></body></html>'.encode("gb18030")
    assert html_blocks(data).blocks[0].text == "需求"
