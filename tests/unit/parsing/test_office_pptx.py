"""PPTX backend: slides as pages, titles, reading order, tables, groups, notes, picture OCR."""

from __future__ import annotations

from pathlib import Path

import pytest

from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import ParseRequest
from longdoc.parsing.pptx_backend import PptxBackend

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"


class RecordingOcr:
    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def recognize(self, image: object) -> str:
        size = image.size  # type: ignore[attr-defined]
        self.sizes.append(size)
        return f"picture text {size[0]}x{size[1]}"


def parse(path: Path, **kwargs: object) -> object:
    return PptxBackend().parse(ParseRequest(path=path, **kwargs))  # type: ignore[arg-type]


def test_real_deck_slides_titles_and_tables() -> None:
    doc = parse(DOCUMENTS / "officer-example.pptx")
    assert [p.label for p in doc.pages] == ["Slide 1", "Slide 2", "Slide 3"]
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Title"), (1, "Hi")]
    assert [t.page for t in doc.tables] == [1, 3]
    slide1 = doc.page_text(doc.pages[0])
    # reading order: the title, then the two text boxes side by side (same top), then the table
    assert (
        slide1.index("Title") < slide1.index("A table") < slide1.index("R logo") < slide1.index("| Header 1")
    )
    # paragraph levels are kept as indentation
    assert "This is\n  an unordered\n    list of paragraphs" in doc.page_text(doc.pages[1])


def _deck(tmp_path: Path) -> Path:
    from PIL import Image
    from pptx import Presentation
    from pptx.util import Inches

    png = tmp_path / "chart.png"
    Image.new("RGB", (200, 100), "white").save(png)
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = "Quarterly results"
    low = slide.shapes.add_textbox(Inches(1), Inches(5), Inches(4), Inches(1))
    low.text_frame.text = "Bottom box"
    group = slide.shapes.add_group_shape()
    right = group.shapes.add_textbox(Inches(5), Inches(2), Inches(3), Inches(1))
    right.text_frame.text = "Grouped right"
    left = group.shapes.add_textbox(Inches(1), Inches(2), Inches(3), Inches(1))
    left.text_frame.text = "Grouped left"
    slide.shapes.add_picture(str(png), Inches(1), Inches(6))
    slide.notes_slide.notes_text_frame.text = "Say the numbers slowly."
    second = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    second.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1)).text_frame.text = "The end"
    path = tmp_path / "deck.pptx"
    deck.save(str(path))
    return path


def test_groups_are_recursed_in_reading_order_and_notes_follow(tmp_path: Path) -> None:
    doc = parse(_deck(tmp_path))
    assert doc.page_text(doc.pages[0]) == (
        "Quarterly results\n\nGrouped left\n\nGrouped right\n\nBottom box\n\nNotes: Say the numbers slowly."
    )
    assert doc.page_text(doc.pages[1]) == "The end"


def test_pictures_are_read_under_text_and_images(tmp_path: Path) -> None:
    ocr = RecordingOcr()
    doc = parse(_deck(tmp_path), strategy=ParsingStrategy.TEXT_AND_IMAGES, ocr=ocr)
    assert ocr.sizes == [(200, 100)]
    assert "Bottom box\n\npicture text 200x100\n\nNotes:" in doc.text
    assert [p.ocr for p in doc.pages] == [True, False]


def test_not_a_presentation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pptx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ParseFailed, match="unreadable PPTX"):
        parse(bad)
