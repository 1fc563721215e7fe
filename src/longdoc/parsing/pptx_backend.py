"""PPTX: each slide a Page labelled "Slide N"; shapes in reading order, notes under the slide.

Reading order is top-to-bottom, then left-to-right, by each shape's position (placeholders
inherit theirs from the layout); a group is read as one shape, its members in the same order.
The slide's title is a level-1 heading, further title placeholders level 2. Merged table cells
keep their text in the first cell and leave the others empty.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.embedded_images import read_image_text
from longdoc.parsing.ooxml_variants import plain_ooxml


def _position(shape: Any) -> tuple[int, int]:
    try:
        return (shape.top or 0, shape.left or 0)
    except Exception:  # a placeholder whose layout lost its twin has no position at all
        return (0, 0)


def _title_kind(shape: Any) -> bool:
    from pptx.enum.shapes import PP_PLACEHOLDER

    if not shape.is_placeholder:
        return False
    try:
        kind = shape.placeholder_format.type
    except Exception:
        return False
    return kind in (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE)


def _frame_text(frame: Any) -> str:
    lines = []
    for paragraph in frame.paragraphs:
        # python-pptx renders a soft line break (<a:br/>) as a vertical tab
        text = paragraph.text.replace("\x0b", "\n").strip()
        if text:
            lines.append("  " * paragraph.level + text)
    return "\n".join(lines)


def _table_rows(table: Any) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            cells.append("" if cell.is_spanned else " ".join(cell.text.split()))
        rows.append(cells)
    return rows


class _SlideWriter:
    def __init__(self, request: ParseRequest, builder: DocumentBuilder, slide: Any, number: int) -> None:
        self.request = request
        self.builder = builder
        self.slide_number = number
        # the first title placeholder in the XML is the slide's own title; others are sub-titles
        self.main_title = slide.shapes.title

    def shapes(self, shapes: Any) -> None:
        for shape in sorted(shapes, key=_position):
            try:
                self.shape(shape)
            except Exception as exc:
                self.builder.error(
                    f"slide {self.slide_number}: shape {shape.name!r} could not be read: {exc}"
                )

    def shape(self, shape: Any) -> None:
        from pptx.enum.shapes import MSO_SHAPE_TYPE

        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            self.shapes(shape.shapes)
            return
        if getattr(shape, "has_table", False) and shape.has_table:
            rows = _table_rows(shape.table)
            if any(cell for row in rows for cell in row):
                self.builder.table(rows)
            return
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            text = _frame_text(shape.text_frame)
            if _title_kind(shape) and text:
                main = self.main_title is not None and shape.shape_id == self.main_title.shape_id
                self.builder.heading(1 if main else 2, text)
            else:
                self.builder.paragraph(text)
        if self.request.ocr_images and hasattr(shape, "image"):
            self.picture(shape)

    def picture(self, shape: Any) -> None:
        try:
            blob = shape.image.blob
        except Exception:  # a picture placeholder left empty, or a linked (not embedded) image
            return
        where = f"slide {self.slide_number} picture {shape.name!r}"
        text = read_image_text(self.request, blob, self.builder, where)
        if text:
            self.builder.paragraph(text)
            self.builder.mark_ocr()

    def notes(self, slide: Any) -> None:
        if not slide.has_notes_slide:
            return
        frame = slide.notes_slide.notes_text_frame
        text = _frame_text(frame) if frame is not None else ""
        if text:
            self.builder.paragraph(f"Notes: {text}")


def parse_pptx(request: ParseRequest, fmt: str) -> Document:
    from pptx import Presentation

    with tempfile.TemporaryDirectory(prefix="longdoc-pptx-") as tmp:
        try:
            # python-pptx reads the whole package on open, so the copy may go right after
            presentation = Presentation(str(plain_ooxml(request.path, Path(tmp))))
        except Exception as exc:
            raise ParseFailed(f"unreadable {fmt.upper()}: {exc}") from exc
    title = (presentation.core_properties.title or "").strip() or None
    builder = DocumentBuilder(fmt, title=title)
    for number, slide in enumerate(presentation.slides, start=1):
        builder.start_page(label=f"Slide {number}")
        writer = _SlideWriter(request, builder, slide, number)
        try:
            writer.shapes(slide.shapes)
            writer.notes(slide)
        except Exception as exc:
            builder.error(f"slide {number} could not be read: {exc}", page=number)
    return builder.build()


class PptxBackend:
    formats = ("pptx",)

    def parse(self, request: ParseRequest) -> Document:
        return parse_pptx(request, "pptx")
