"""OCR of images embedded in office documents (strategy ``text_and_images``)."""

from __future__ import annotations

import io

from longdoc.parsing.base import DocumentBuilder, ParseRequest

# Bullets, rules and icons: too small to hold a word, not worth an OCR call.
_MIN_SIDE = 24


def read_image_text(request: ParseRequest, data: bytes, builder: DocumentBuilder, where: str) -> str:
    """The text OCR finds in one embedded image, or ``""``.

    Failures are recorded on the builder (category ``ocr`` or ``limit``), never raised: one bad
    picture must not cost the document its text.
    """
    if request.ocr is None:
        return ""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > request.settings.image_max_pixels:
                builder.error(
                    f"{where}: image of {width}x{height} pixels is over the OCR limit", category="limit"
                )
                return ""
            if min(width, height) < _MIN_SIDE:
                return ""
            image = img.convert("RGB")
    except UnidentifiedImageError:
        # EMF/WMF/SVG drawings: vector art Pillow cannot rasterise
        builder.error(f"{where}: image format not readable for OCR", category="ocr")
        return ""
    except Exception as exc:
        builder.error(f"{where}: image could not be decoded ({exc})", category="ocr")
        return ""
    try:
        return request.ocr.recognize(image).strip()
    except Exception as exc:
        builder.error(f"{where}: OCR failed ({exc})", category="ocr")
        return ""
