"""DOCX backend on real documents: order, headings, list markers, merged cells, breaks, failures."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import ParseRequest
from longdoc.parsing.docx_backend import DocxBackend

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
EXAMPLE = DOCUMENTS / "officer-example.docx"


class RecordingOcr:
    """Stands in for the OCR engine: says which image it was shown, so tests see the wiring."""

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def recognize(self, image: object) -> str:
        size = image.size  # type: ignore[attr-defined]
        self.sizes.append(size)
        return f"picture text {size[0]}x{size[1]}"


def parse(path: Path, **kwargs: object) -> object:
    return DocxBackend().parse(ParseRequest(path=path, **kwargs))  # type: ignore[arg-type]


def page_texts(document: object, path: Path) -> list[str]:
    """The text of each page of a python-docx ``document`` saved at ``path`` and parsed."""
    document.save(str(path))  # type: ignore[attr-defined]
    doc = parse(path)
    return [doc.page_text(p) for p in doc.pages]  # type: ignore[attr-defined]


def test_body_keeps_xml_order_with_headings_lists_and_table() -> None:
    doc = parse(EXAMPLE)
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "Title 1"),
        (1, "Title 2"),
        (2, "Sub title 1"),
        (2, "Sub title 2"),
    ]
    text = doc.text
    # numbered list, then a bulleted one, each kept as one block of lines with markers
    assert "1. Quisque tristique\n2. Augue nisi, et convallis\n3. Sapien mollis nec." in text
    assert "- Quisque tristique\n- Augue nisi, et convallis\n- Sapien mollis nec." in text
    assert text.index("Sub title 2") < text.index("| Petals | Internode | Sepal | Bract |")
    assert len(doc.tables) == 1 and len(doc.pages) == 1
    table = text[doc.tables[0].start : doc.tables[0].end]
    # horizontally merged: text in the first grid cell, the covered one empty
    assert "| 5,621498349 |  | 2,462106579 18,2034091 |  |" in table
    # vertically merged "Merged cell": once, not repeated down the rows
    assert table.count("Merged cell") == 1


def test_empty_body_leaves_only_the_header() -> None:
    doc = parse(DOCUMENTS / "officer-landscape.docx")  # its footers hold only the page number
    assert doc.text == "an example" and doc.errors == [] and doc.format == "docx"


def test_zip_without_document_xml_is_named(tmp_path: Path) -> None:
    fake = tmp_path / "fake.docx"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ParseFailed, match=r"^not a DOCX: the zip holds no word/document.xml$"):
        parse(fake)


def test_not_a_zip_is_a_parse_failure(tmp_path: Path) -> None:
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"%PDF-1.4 not a zip at all")
    with pytest.raises(ParseFailed, match="not a DOCX"):
        parse(fake)


def _retype(source: Path, target: Path, old: str, new: str) -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(old.encode(), new.encode())
            dst.writestr(info, data)


def test_macro_enabled_variant_reads_like_docx(tmp_path: Path) -> None:
    docm = tmp_path / "example.docm"
    _retype(
        EXAMPLE,
        docm,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    assert parse(docm).text == parse(EXAMPLE).text


def test_explicit_page_breaks_start_pages(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("First", level=1)
    document.add_paragraph("On page one.")
    document.add_page_break()
    document.add_paragraph("On page two.")
    document.add_page_break()
    document.add_paragraph("On page three.")
    assert page_texts(document, tmp_path / "breaks.docx") == [
        "First\n\nOn page one.",
        "On page two.",
        "On page three.",
    ]


def test_headers_and_footers_are_read_once_each(tmp_path: Path) -> None:
    """A letterhead often names the only seller an invoice has; it opens the document once, not
    per page, and a footer follows the body once; a bare page number is left out."""
    import docx

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "Atelier Lumière SARL · 12 rue des Tanneurs, Lyon"
    section.footer.paragraphs[0].text = "IBAN FR76 3000 4000"
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "Atelier Lumière SARL · 12 rue des Tanneurs, Lyon"
    section.first_page_footer.paragraphs[0].text = "7"
    document.add_paragraph("Facture F-2024-69106")
    document.add_page_break()
    document.add_paragraph("Total TTC 347,67 €")
    assert page_texts(document, tmp_path / "letterhead.docx") == [
        "Atelier Lumière SARL · 12 rue des Tanneurs, Lyon\n\nFacture F-2024-69106",
        "Total TTC 347,67 €\n\nIBAN FR76 3000 4000",
    ]


def _docx_with_picture(tmp_path: Path) -> Path:
    import docx
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 120), "white")
    ImageDraw.Draw(image).text((10, 50), "HELLO", fill="black")
    png = tmp_path / "picture.png"
    image.save(png)
    document = docx.Document()
    document.add_paragraph("Before the picture.")
    document.add_picture(str(png))
    document.add_paragraph("After the picture.")
    path = tmp_path / "picture.docx"
    document.save(str(path))
    return path


def test_embedded_images_are_read_in_place_under_text_and_images(tmp_path: Path) -> None:
    path = _docx_with_picture(tmp_path)
    ocr = RecordingOcr()
    doc = parse(path, strategy=ParsingStrategy.TEXT_AND_IMAGES, ocr=ocr)
    assert ocr.sizes == [(320, 120)]
    assert doc.text == "Before the picture.\n\npicture text 320x120\n\nAfter the picture."
    assert doc.pages[0].ocr is True


@pytest.mark.parametrize("strategy", [ParsingStrategy.AUTO, ParsingStrategy.TEXT_ONLY])
def test_images_are_left_alone_otherwise(tmp_path: Path, strategy: ParsingStrategy) -> None:
    path = _docx_with_picture(tmp_path)
    ocr = RecordingOcr()
    doc = parse(path, strategy=strategy, ocr=ocr)
    assert ocr.sizes == []
    assert doc.text == "Before the picture.\n\nAfter the picture." and not doc.pages[0].ocr


def test_long_real_manual_parses_quickly() -> None:
    corpus = Path("/work/shared/corpus/office/debian-edu-manual.en.docx")
    if not corpus.exists():
        pytest.skip("shared corpus not present")
    doc = parse(corpus)
    assert len(doc.headings) > 150 and len(doc.text) > 100_000 and doc.errors == []
    # LibreOffice's derived style names ("Heading 3.title") still map to their level
    assert any(h.level == 3 and h.text.startswith("2.1.") for h in doc.headings)


@pytest.mark.slow
def test_real_ocr_reads_an_embedded_screenshot(tmp_path: Path) -> None:
    import docx

    from longdoc.parsing.ocr import shared_ocr_engine

    screenshot = DOCUMENTS / "debian-installer-select-language.png"
    if not screenshot.exists():
        pytest.skip("screenshot test image not present")
    try:
        engine = shared_ocr_engine()
    except Exception as exc:  # the engine ships its models; if they are missing, say so
        pytest.skip(f"OCR engine unavailable: {exc}")
    document = docx.Document()
    document.add_paragraph("The installer asks:")
    document.add_picture(str(screenshot))
    path = tmp_path / "screenshot.docx"
    document.save(str(path))
    doc = parse(path, strategy=ParsingStrategy.TEXT_AND_IMAGES, ocr=engine)
    assert doc.pages[0].ocr and doc.errors == []
    assert doc.text.startswith("The installer asks:\n\n")
    assert "Deutsch" in doc.text and "Français" in doc.text
