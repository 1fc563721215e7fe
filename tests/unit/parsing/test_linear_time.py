"""Adversarial inputs for every pattern and loop that was worse than linear: each now runs in well
under the bound on about 1 MB (the old code took from seconds to hours on the same input)."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from longdoc.core.documents import Document, Page, ParsingStrategy
from longdoc.parsing import parse_path
from longdoc.parsing.base import DocumentBuilder, markdown_table
from longdoc.parsing.docx_backend import paragraph_runs
from longdoc.parsing.docx_styles import ListNumbering, StyleBook, W
from longdoc.parsing.epub_backend import read_package
from longdoc.parsing.html_blocks import _META_CHARSET
from longdoc.parsing.pdf import _outline_headings
from longdoc.parsing.spreadsheet import write_sheet
from longdoc.parsing.text import _delimiter, markdown_headings

BOUND_SECONDS = 3.0  # the linear code takes about 1 s of CPU on the largest case; the old one minutes to hours
MB = 1024 * 1024


@contextmanager
def quick(bound: float = BOUND_SECONDS) -> Iterator[None]:
    """The block takes under ``bound`` seconds of this process's CPU: what a quadratic pattern
    burns, counted so that other work on a busy machine does not count against it."""
    started = time.process_time()
    yield
    took = time.process_time() - started
    assert took < bound, f"took {took:.2f} s of CPU"


def test_a_markdown_heading_of_a_million_spaces(tmp_path: Path) -> None:
    """The old ATX pattern backtracked quadratically: about 6,000 s for this line."""
    line = "# x" + " " * MB + "y"
    with quick():
        assert [h.text for h in markdown_headings(line + "\n\n## Next ##\n")] == ["x y", "Next"]
    path = tmp_path / "spaces.md"
    path.write_text(line)
    with quick():
        assert parse_path(path, strategy=ParsingStrategy.TEXT_ONLY).headings[0].text == "x y"


def test_csv_delimiter_detection_on_quotes_and_commas() -> None:
    """csv.Sniffer took 17 s on this 64 KB sample; reading it with each delimiter is linear."""
    with quick(0.5):
        assert _delimiter(',"' * 32 * 1024, "data.csv") == ","
    with quick(0.5):
        assert _delimiter('", ' * 21_845, "data.csv") == ","


def test_csv_delimiter_detection_still_reads_the_table() -> None:
    assert _delimiter("name;price\nwidget;3,50\ngadget;12,00\n", "prices.csv") == ";"
    assert _delimiter('a,"b;c"\n1,"2;3"\n', "quoted.csv") == ","
    assert _delimiter("just one column\nof words\n", "words.csv") == ","


def test_html_meta_charset_over_unclosed_meta_tags() -> None:
    with quick(0.5):
        assert _META_CHARSET.search(b"<meta " * 200_000) is None
    assert _META_CHARSET.search(b'<meta http-equiv="x" content="text/html; charset=gbk">').group(1) == b"gbk"


@dataclass
class _Bookmark:
    title: str
    level: int = 0

    def get_title(self) -> str:
        return self.title

    def get_dest(self) -> _Bookmark:
        return self

    def get_index(self) -> int:
        return 0


@dataclass
class _Outline:
    bookmarks: list[_Bookmark]

    def get_toc(self, max_depth: int) -> Iterator[_Bookmark]:
        return iter(self.bookmarks)


def test_pdf_outline_of_long_titles_over_one_large_page() -> None:
    """10,000 bookmarks of 1,000 words each, none found on a 1 MB page: was bookmarks x text x words."""
    text = "a " * (MB // 2)
    document = Document(format="pdf", text=text, pages=[Page(number=1, start=0, end=len(text))])
    outline = _Outline([_Bookmark("a " * 1000 + "b") for _ in range(10_000)])
    with quick():
        headings = _outline_headings(outline, document)
    assert len(headings) == 10_000


def test_pdf_outline_titles_are_still_placed() -> None:
    text = "Intro\nsome words\nThe  ’Second’\tpart\nmore words"
    document = Document(format="pdf", text=text, pages=[Page(number=1, start=0, end=len(text))])
    headings = _outline_headings(_Outline([_Bookmark("Intro"), _Bookmark("The 'Second' part")]), document)
    assert [h.start for h in headings] == [0, text.index("The")]


def _styles(count: int) -> etree._Element:
    """``count`` paragraph styles, each based on the one before: a chain ``count`` long."""
    root = etree.Element(f"{W}styles")
    for i in range(count):
        style = etree.SubElement(root, f"{W}style", {f"{W}type": "paragraph", f"{W}styleId": f"s{i}"})
        etree.SubElement(style, f"{W}name", {f"{W}val": f"style {i}"})
        if i:
            etree.SubElement(style, f"{W}basedOn", {f"{W}val": f"s{i - 1}"})
    return root


def test_docx_style_chains_are_walked_once() -> None:
    """Every style of a 20,000-long chain resolved: was quadratic in the chain (per paragraph, too)."""
    book = StyleBook(_styles(20_000))
    with quick():
        assert {book.heading_level(f"s{i}") for i in range(20_000)} == {None}
        assert {book.numbering(f"s{i}") for i in range(20_000)} == {None}


def test_docx_paragraph_of_many_runs() -> None:
    """A paragraph of 300,000 runs: appending to one string run by run was quadratic."""
    paragraph = etree.Element(f"{W}p")
    for _ in range(300_000):
        etree.SubElement(etree.SubElement(paragraph, f"{W}r"), f"{W}t").text = "abc"
    with quick():
        assert paragraph_runs(paragraph).segments == ["abc" * 300_000]


def test_docx_list_markers_with_hostile_numbers() -> None:
    """A start of a billion in roman numerals was a million "m"s per item; a huge level, a huge indent."""
    numbering = etree.Element(f"{W}numbering")
    abstract = etree.SubElement(numbering, f"{W}abstractNum", {f"{W}abstractNumId": "1"})
    level = etree.SubElement(abstract, f"{W}lvl", {f"{W}ilvl": "0"})
    etree.SubElement(level, f"{W}start", {f"{W}val": "1000000000"})
    etree.SubElement(level, f"{W}numFmt", {f"{W}val": "upperRoman"})
    etree.SubElement(level, f"{W}lvlText", {f"{W}val": "%1."})
    num = etree.SubElement(numbering, f"{W}num", {f"{W}numId": "7"})
    etree.SubElement(num, f"{W}abstractNumId", {f"{W}val": "1"})
    markers = ListNumbering(numbering)
    with quick():
        assert markers.marker("7", 0) == "1000000000. "
        assert [markers.marker("7", 10**9 + i) for i in range(20_000)][-1] == "  " * 8 + "- "


def _timed_table(build: Callable[[DocumentBuilder], None]) -> str:
    builder = DocumentBuilder("xlsx")
    builder.start_page()
    with quick():
        build(builder)
    return builder.build().text


def test_a_sheet_with_one_cell_far_to_the_right() -> None:
    """100,000 rows of one cell under a row of 16,384: rows x width was 1.6 billion cells."""
    rows = [["h"] * 16_384] + [["x"] for _ in range(100_000)]
    text = _timed_table(lambda builder: write_sheet(builder, rows))
    assert text.count("\n") == 100_000  # one line per row: too ragged for a header rule


def test_a_ragged_table_is_not_padded_to_its_widest_row() -> None:
    rows = [["h"] * 100_000] + [["x"] for _ in range(100_000)]
    with quick():
        rendered = markdown_table(rows)
    assert len(rendered) < 2 * MB and "---" not in rendered  # no header rule to repeat per chunk
    assert markdown_table([["a", "b", "c"], ["1"]]).splitlines()[1:] == ["|---|---|---|", "| 1 |  |  |"]


def test_an_epub_spine_listing_one_chapter_many_times(tmp_path: Path) -> None:
    """200,000 spine entries over 5,000 chapters: a list lookup per entry was 10^9 comparisons."""
    path = tmp_path / "loop.epub"
    itemrefs = '<itemref idref="c"/>' * 200_000
    opf = (
        '<package xmlns="http://www.idpf.org/2007/opf"><manifest>'
        + "".join(
            f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(5000)
        )
        + '<item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest>'
        + "<spine>"
        + "".join(f'<itemref idref="c{i}"/>' for i in range(5000))
        + itemrefs
        + "</spine></package>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="book.opf"/></rootfiles></container>',
        )
        archive.writestr("book.opf", opf)
        for i in range(5000):
            archive.writestr(f"c{i}.xhtml", "<p>x</p>")
        archive.writestr("c.xhtml", "<p>x</p>")
    with zipfile.ZipFile(path) as archive, quick():
        package = read_package(archive)
    assert len(package.chapters) == 5001
