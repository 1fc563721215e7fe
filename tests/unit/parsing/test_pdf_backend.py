"""The PDF backend on real PDFs: text layer, cleaning, outline headings, title, strategies, page errors."""

from __future__ import annotations

import re
from pathlib import Path

from longdoc.config import ParsingSettings
from longdoc.core.documents import ParsingStrategy
from longdoc.parsing import parse_path
from longdoc.parsing.pdf import clean_text
from support.generated_files import make_pdf

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
R_INTRO = DOCUMENTS / "R-intro.p12-14.pdf"


class CountingOcr:
    """Counts the images it is shown; for tests about *whether* OCR runs, not what it reads."""

    def __init__(self, text: str = "") -> None:
        self.calls = 0
        self.text = text

    def recognize(self, image: object) -> str:
        self.calls += 1
        return self.text


def test_clean_text() -> None:
    assert clean_text("exam\ufffeple and exam\x02\r\nple") == "example and example"
    assert clean_text("one\r\ntwo\rthree") == "one\ntwo\nthree"
    assert clean_text("ﬁle ＡＢＣ １２３") == "file ABC 123"  # NFKC
    assert clean_text("a\x00b\x1cc\td") == "abc\td"


def test_text_layer_one_page_per_pdf_page() -> None:
    ocr = CountingOcr()
    doc = parse_path(R_INTRO, ocr=ocr)
    assert doc.format == "pdf"
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert ocr.calls == 0  # every page has a text layer: nothing to OCR under auto
    assert not any(p.ocr for p in doc.pages)
    assert doc.errors == []
    assert doc.page_text(doc.pages[0]).startswith("Chapter 1: Introduction and preliminaries 6\nThe recall")
    assert "\r" not in doc.text and "\ufffe" not in doc.text
    # pages are separated by a blank line and their spans tile the text
    for before, after in zip(doc.pages, doc.pages[1:], strict=False):
        assert doc.text[before.end : after.start] == "\n\n"


def test_hyphenated_words_are_rejoined() -> None:
    doc = parse_path(R_INTRO, strategy=ParsingStrategy.TEXT_ONLY)
    # "con-/ducted" is split across lines on page 12 of R-intro
    assert "conducted" in doc.text


def test_outline_becomes_headings() -> None:
    doc = parse_path(DOCUMENTS / "spqr_user_guide.pdf", strategy=ParsingStrategy.TEXT_ONLY)
    assert len(doc.headings) == 16
    assert (doc.headings[0].level, doc.headings[0].text) == (1, "Introduction")
    assert {h.level for h in doc.headings} == {1, 2, 3}
    starts = [h.start for h in doc.headings]
    assert starts == sorted(starts)
    placed = [h for h in doc.headings if doc.text.startswith(h.text, h.start)]
    assert len(placed) >= 12  # most titles are found verbatim on their page
    for heading in doc.headings:
        assert doc.page_at(heading.start) is not None


def test_title_from_metadata() -> None:
    doc = parse_path(DOCUMENTS / "qtpdf-test.pdf", strategy=ParsingStrategy.TEXT_ONLY)
    assert doc.title == "Test Document for Qt PDF rendering"
    assert parse_path(R_INTRO, strategy=ParsingStrategy.TEXT_ONLY).title is None  # cut: its Info is gone


def test_chinese_text_layer() -> None:
    doc = parse_path(DOCUMENTS / "debian-edu-manual.zh-cn.p10-11.pdf", strategy=ParsingStrategy.TEXT_ONLY)
    assert len(doc.pages) == 2
    assert len(re.findall("[\u4e00-\u9fff]", doc.text)) > 500


def test_scanned_pages_under_text_only_are_reported() -> None:
    doc = parse_path(DOCUMENTS / "R-intro.p12-14.scanned.pdf", strategy=ParsingStrategy.TEXT_ONLY)
    assert len(doc.pages) == 3
    assert doc.text == ""
    assert [(p.start, p.end) for p in doc.pages] == [(0, 0)] * 3
    assert [(e.page, e.category) for e in doc.errors] == [(1, "ocr"), (2, "ocr"), (3, "ocr")]
    assert doc.errors[0].reason == "the page is an image without a text layer: OCR is off under text_only"


def test_scanned_pages_are_ocred_under_auto() -> None:
    ocr = CountingOcr("recognised words")
    doc = parse_path(DOCUMENTS / "R-intro.p12-14.scanned.pdf", ocr=ocr)
    assert ocr.calls == 3
    assert all(p.ocr for p in doc.pages)
    assert [doc.page_text(p) for p in doc.pages] == ["recognised words"] * 3


def test_embedded_images_only_under_text_and_images() -> None:
    path = DOCUMENTS / "debian-edu-manual.en.p26.pdf"  # a page of text with a 1024x768 screenshot
    auto_ocr, images_ocr = CountingOcr("screenshot words"), CountingOcr("screenshot words")
    auto = parse_path(path, ocr=auto_ocr)
    assert auto_ocr.calls == 0 and "screenshot words" not in auto.text
    both = parse_path(path, strategy=ParsingStrategy.TEXT_AND_IMAGES, ocr=images_ocr)
    assert images_ocr.calls == 1
    assert both.text == auto.text + "\n\nscreenshot words"
    assert both.pages[0].ocr


def test_embedded_images_over_the_pixel_limit_are_skipped_with_an_error() -> None:
    ocr = CountingOcr("never")
    settings = ParsingSettings(image_max_pixels=500_000)
    doc = parse_path(
        DOCUMENTS / "debian-edu-manual.en.p26.pdf",
        strategy=ParsingStrategy.TEXT_AND_IMAGES,
        settings=settings,
        ocr=ocr,
    )
    assert ocr.calls == 0
    assert [e.category for e in doc.errors] == ["limit"]
    assert (
        doc.errors[0].reason == "an embedded image of 1,024 × 768 pixels was not OCRed (limit 500,000 pixels)"
    )


def test_render_for_ocr_respects_the_pixel_limit() -> None:
    import pypdfium2 as pdfium

    from longdoc.parsing.pdf_images import render_for_ocr

    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(14_400, 14_400)  # the largest page PDF allows: 200 inches square
    image = render_for_ocr(page, ParsingSettings(image_max_pixels=1_000_000))
    assert image.size[0] * image.size[1] <= 1_000_000
    assert image.size[0] > 900


def test_a_page_that_fails_is_an_error_and_the_rest_parses(tmp_path: Path) -> None:
    path = tmp_path / "gap.pdf"
    path.write_bytes(make_pdf(["First page text", None, "Third page text"]))
    doc = parse_path(path, strategy=ParsingStrategy.TEXT_ONLY)
    assert [doc.page_text(p) for p in doc.pages] == ["First page text", "", "Third page text"]
    assert len(doc.errors) == 1
    assert (doc.errors[0].page, doc.errors[0].category) == (2, "parse")
    assert doc.errors[0].reason.startswith("the page could not be loaded")
