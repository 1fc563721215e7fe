"""Image files through the real OCR engine (RapidOCR, bundled models), and the line ordering."""

from __future__ import annotations

from pathlib import Path

import pytest

from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing import parse_path
from longdoc.parsing.ocr import OcrLine, bundled_model_paths, join_lines

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
SCREENSHOT = DOCUMENTS / "lo-tip-formdocuments.png"
# what the 150x150 screenshot shows, read by eye
SCREENSHOT_LINES = ["Form PDF", "Textbox", "Checkbox", "Radio Button"]


@pytest.fixture(scope="module", autouse=True)
def _ocr_models() -> None:
    try:
        bundled_model_paths()
    except ParseFailed as exc:
        pytest.skip(exc.message)


def test_models_ship_in_the_wheel() -> None:
    det, cls, rec = bundled_model_paths()
    assert all(p.stat().st_size > 100_000 for p in (det, cls, rec))


def test_png_screenshot() -> None:
    doc = parse_path(SCREENSHOT, filename="tip.png")
    assert doc.format == "png"
    assert doc.text.split("\n") == SCREENSHOT_LINES
    assert len(doc.pages) == 1 and doc.pages[0].ocr
    assert doc.errors == []


@pytest.mark.parametrize(("pillow_format", "fmt"), [("JPEG", "jpeg"), ("GIF", "gif"), ("BMP", "bmp")])
def test_other_image_formats(pillow_format: str, fmt: str, tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / f"tip.{fmt}"
    Image.open(SCREENSHOT).convert("RGB").save(path, format=pillow_format, quality=92)
    doc = parse_path(path, filename=path.name)
    assert doc.format == fmt
    for line in SCREENSHOT_LINES:  # (a JPEG's blur may read the checkbox as "☑")
        assert line in doc.text


def test_transparent_background_reads_as_white(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (640, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).text(
        (20, 30), "Quarterly", fill=(0, 0, 0, 255), font=ImageFont.load_default(size=48)
    )
    path = tmp_path / "label.png"
    image.save(path)
    doc = parse_path(path)
    assert doc.text == "Quarterly"


def test_image_without_text_is_an_empty_document(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), (240, 240, 240)).save(path)
    doc = parse_path(path)
    assert doc.text == ""
    assert len(doc.pages) == 1
    assert [(e.page, e.reason, e.category) for e in doc.errors] == [(1, "no text found in the image", "ocr")]


def test_images_need_ocr() -> None:
    with pytest.raises(ParseFailed) as failed:
        parse_path(SCREENSHOT, strategy=ParsingStrategy.TEXT_ONLY)
    assert failed.value.message == "image files need OCR: use file_parsing_strategy auto or text_and_images"


def test_lines_in_reading_order() -> None:
    boxes = [
        OcrLine("right", top=10, bottom=30, left=300),
        OcrLine("second line", top=50, bottom=70, left=10),
        OcrLine("left", top=12, bottom=32, left=10),
        OcrLine("中文", top=90, bottom=110, left=10),
        OcrLine("文本", top=91, bottom=111, left=80),
        OcrLine("end", top=92, bottom=110, left=160),
    ]
    assert join_lines(boxes) == "left right\nsecond line\n中文文本 end"
