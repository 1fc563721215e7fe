"""PNG, JPEG, GIF and BMP files: the text OCR finds in them, as one page."""

from __future__ import annotations

from typing import Any

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.ocr import MODEL_MAX_SIDE
from longdoc.parsing.safety import check_pixels

_PILLOW_FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "GIF": "gif", "BMP": "bmp", "DIB": "bmp"}


class ImageBackend:
    formats = ("png", "jpeg", "gif", "bmp")

    def parse(self, request: ParseRequest) -> Document:
        from PIL import Image, ImageOps, UnidentifiedImageError

        if request.ocr is None:
            raise ParseFailed("image files need OCR: use file_parsing_strategy auto or text_and_images")
        try:
            with Image.open(request.path) as opened:
                fmt = _PILLOW_FORMATS.get(opened.format or "", "png")
                check_pixels(*opened.size, request.settings)  # nothing is decoded before this
                # a JPEG can be decoded at a fraction of its size: OCR reads at most this much
                opened.draft("RGB", (MODEL_MAX_SIDE, MODEL_MAX_SIDE))
                image = _flatten(ImageOps.exif_transpose(opened) or opened)
        except Image.DecompressionBombError as exc:
            raise ParseFailed(f"the image is too large: {exc}") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ParseFailed(f"the image is damaged: {exc}") from exc

        builder = DocumentBuilder(fmt)
        builder.start_page(ocr=True)
        text = request.ocr.recognize(image)
        if text.strip():
            builder.paragraph(text)
        else:
            builder.error("no text found in the image", category="ocr")
        return builder.build()


def _flatten(image: Any) -> Any:
    """RGB on white: transparent pixels would otherwise turn black and hide dark text."""
    from PIL import Image

    image.load()  # the first frame of an animation is the one read
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")
