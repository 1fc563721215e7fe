"""Golden files for PDF, text and image parsing through ``parse_path``, and OCR quality on real scans.

Text-layer and text-file results are compared exactly with ``expected/*.json`` (regenerate with
``pytest tests/golden/test_golden_core_formats.py --regen-golden`` and review the diff). OCR text
can shift slightly between onnxruntime builds, so OCR cases are held to a word recall against a
ground truth instead: the PDF's own text layer for renders of it, or what the image shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from longdoc.core.documents import ParsingStrategy
from longdoc.parsing import parse_path

DOCUMENTS = Path(__file__).parents[1] / "data" / "documents"

CASES = [
    # (golden name, file as uploaded)
    ("pdf-r-intro-p12-14", "R-intro.p12-14.pdf"),
    ("pdf-spqr-user-guide-outline", "spqr_user_guide.pdf"),
    ("pdf-debian-edu-zh-cn-p10-11", "debian-edu-manual.zh-cn.p10-11.pdf"),
    ("txt-gb18030-debian-edu-toc", "debian-edu-manual.zh-cn.toc.gb18030.txt"),
    ("md-nodejs-api-url", "nodejs-api-url.md"),
    ("csv-distro-info-debian", "distro-info-debian.csv"),
    ("json-iso-3166-1", "iso_3166-1.json"),
]


@pytest.mark.parametrize(("name", "filename"), CASES, ids=[c[0] for c in CASES])
def test_core_format_golden(golden, name: str, filename: str) -> None:  # type: ignore[no-untyped-def]
    # under auto: these files have text layers, so no OCR runs and the result is exact
    document = parse_path(DOCUMENTS / filename, filename=filename)
    golden.check(name, document)


def words(text: str) -> Counter[str]:
    """Latin words and digits lowercased, and each Chinese character, as a multiset."""
    return Counter(re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", unicodedata.normalize("NFKC", text).lower()))


def recall(truth: str, found: str) -> float:
    expected, got = words(truth), words(found)
    return sum(min(n, got[w]) for w, n in expected.items()) / max(sum(expected.values()), 1)


def text_layer(pdf: Path, index: int) -> str:
    return parse_path(pdf, strategy=ParsingStrategy.TEXT_ONLY).page_text(
        parse_path(pdf, strategy=ParsingStrategy.TEXT_ONLY).pages[index]
    )


SCREENSHOT_TRUTH = """Select a language
Choose the language to be used for the installation process. The selected language will also be the
default language for the installed system. Language:
Bosnian Bosanski Bulgarian Burmese Catalan Català Chinese (Simplified) 中文(简体) Chinese (Traditional)
中文(繁體) Croatian Hrvatski Czech Čeština Danish Dansk Dutch Nederlands Dzongkha English English
Esperanto Esperanto Estonian Eesti Finnish Suomi French Français Galician Galego Georgian German Deutsch
Greek Gujarati Hebrew Hindi Hungarian Magyar Screenshot Go Back Continue"""


def test_png_screenshot_ocr() -> None:
    doc = parse_path(DOCUMENTS / "debian-installer-select-language.png")
    assert doc.format == "png" and doc.pages[0].ocr
    assert recall(SCREENSHOT_TRUTH, doc.text) >= 0.9
    assert "Choose the language to be used for the installation process." in doc.text


@pytest.mark.slow
def test_png_page_render_ocr() -> None:
    """R-intro page 12 rendered at 200 dpi; truth is the same page's text layer."""
    doc = parse_path(DOCUMENTS / "R-intro.p12.png")
    truth = text_layer(DOCUMENTS / "R-intro.p12-14.pdf", 0)
    assert recall(truth, doc.text) >= 0.95


@pytest.mark.slow
def test_scanned_pdf_ocr() -> None:
    """Pages 12-14 of R-intro as an image-only PDF (150 dpi grey): OCR under auto, page by page."""
    doc = parse_path(DOCUMENTS / "R-intro.p12-14.scanned.pdf")
    original = parse_path(DOCUMENTS / "R-intro.p12-14.pdf", strategy=ParsingStrategy.TEXT_ONLY)
    assert len(doc.pages) == 3 and all(p.ocr for p in doc.pages)
    assert doc.errors == []
    assert recall(original.text, doc.text) >= 0.9
    for scanned, source in zip(doc.pages, original.pages, strict=True):
        assert recall(original.page_text(source), doc.page_text(scanned)) >= 0.85


@pytest.mark.slow
def test_chinese_ocr(tmp_path: Path) -> None:
    """Page 10 of the Chinese manual rendered to PNG; truth is its text layer (characters)."""
    import pypdfium2 as pdfium

    source = DOCUMENTS / "debian-edu-manual.zh-cn.p10-11.pdf"
    image = tmp_path / "zh-p10.png"
    pdfium.PdfDocument(source)[0].render(scale=200 / 72).to_pil().save(image)
    doc = parse_path(image)
    truth = text_layer(source, 0)
    assert len(re.findall("[\u4e00-\u9fff]", truth)) > 200
    assert recall(truth, doc.text) >= 0.9
