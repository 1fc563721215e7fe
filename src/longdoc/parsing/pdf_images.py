"""The image side of PDF pages: spotting scans, rendering them for OCR, reading embedded images."""

from __future__ import annotations

import math
from typing import Any

from longdoc.config import ParsingSettings
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.ocr import OcrBudget

# A page with fewer visible characters than this has "almost no" text layer (a scanner's stamp,
# a page number); with an image over enough of the page it is taken for a scan.
SCANNED_MAX_CHARS = 20
SCANNED_MIN_IMAGE_SHARE = 0.1
# embedded images smaller than this on either side are icons, rules or bullets, not text
MIN_IMAGE_SIDE = 48


def looks_scanned(page: Any, text: str) -> bool:
    if sum(1 for ch in text if not ch.isspace()) >= SCANNED_MAX_CHARS:
        return False
    width, height = page.get_size()
    page_area = max(width * height, 1.0)
    covered = 0.0
    for obj in _image_objects(page):
        try:
            left, bottom, right, top = obj.get_bounds()
        except Exception:  # an image we cannot place does not count
            continue
        covered += max(right - left, 0.0) * max(top - bottom, 0.0)
        if covered >= SCANNED_MIN_IMAGE_SHARE * page_area:
            return True
    return False


def render_for_ocr(page: Any, settings: ParsingSettings) -> Any:
    """The page as a PIL image at ``settings.ocr_dpi``, scaled down if that would exceed the pixel limit."""
    width, height = page.get_size()
    scale = settings.ocr_dpi / 72
    pixels = width * height * scale * scale
    if pixels > settings.image_max_pixels:
        scale *= math.sqrt(settings.image_max_pixels / pixels)
    # the PIL image shares the bitmap's buffer, so the bitmap is left to the garbage collector
    return page.render(scale=scale, may_draw_forms=False).to_pil()


def embedded_image_texts(
    page: Any, request: ParseRequest, budget: OcrBudget, builder: DocumentBuilder
) -> list[str]:
    """The OCR text of each image embedded in ``page`` that is large enough to hold text."""
    ocr = request.ocr
    if ocr is None:
        return []
    limit = request.settings.image_max_pixels
    texts = []
    for obj in _image_objects(page):
        try:
            width, height = obj.get_px_size()
        except Exception:  # an image without a size cannot be decoded either
            continue
        if min(width, height) < MIN_IMAGE_SIDE:
            continue
        if width * height > limit:
            builder.error(
                f"an embedded image of {width:,} × {height:,} pixels was not OCRed (limit {limit:,} pixels)",
                category="limit",
            )
            continue
        if budget.exhausted():
            builder.error(
                "embedded images were not OCRed: the parse reached its time limit", category="limit"
            )
            break
        try:
            text = ocr.recognize(obj.get_bitmap(render=True).to_pil()).strip()
        except MemoryError:
            raise
        except Exception as exc:  # one unreadable image costs its own text only
            builder.error(f"OCR failed on an embedded image: {exc}", category="ocr")
            continue
        if text:
            texts.append(text)
    return texts


def _image_objects(page: Any) -> list[Any]:
    import pypdfium2.raw as pdfium_c

    return list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4))
