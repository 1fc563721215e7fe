"""Checks that run before any library decodes a file: zip bombs and pixel bombs.

The zip check reads only the central directory. It is enough for Python readers (zipfile,
and the libraries built on it): ``zipfile`` stops inflating an entry at its declared size and
fails the CRC, so an entry cannot grow past what the directory says.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from longdoc.config import MB, ParsingSettings
from longdoc.core.errors import ParseFailed
from longdoc.parsing.sniff import IMAGE_FORMATS, ZIP_FORMATS

# below this size an entry's own ratio says nothing (a small XML of repeated tags compresses well)
_ENTRY_RATIO_FLOOR = 16 * MB


def check_file(path: Path, fmt: str, settings: ParsingSettings) -> None:
    """Raise ``ParseFailed`` if the file of format ``fmt`` is too big to decode safely."""
    if fmt in ZIP_FORMATS:
        check_zip(path, settings)
    elif fmt in IMAGE_FORMATS:
        check_image_file(path, fmt, settings)


def check_zip(path: Path, settings: ParsingSettings) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ParseFailed(f"the zip archive is damaged ({exc})") from exc
    if len(entries) > settings.zip_max_entries:
        raise ParseFailed(
            f"the zip archive holds {len(entries):,} entries (limit {settings.zip_max_entries:,})"
        )
    total = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    if total > settings.zip_max_bytes:
        raise ParseFailed(
            f"the zip archive unpacks to {size_text(total)} (limit {size_text(settings.zip_max_bytes)}): "
            "it looks like a zip bomb"
        )
    if total > _ENTRY_RATIO_FLOOR and total > settings.zip_max_ratio * max(packed, 1):
        raise ParseFailed(
            f"the zip archive is compressed {total / max(packed, 1):,.0f}:1 "
            f"(limit {settings.zip_max_ratio}:1): it looks like a zip bomb"
        )
    for e in entries:
        if e.file_size > _ENTRY_RATIO_FLOOR and e.file_size > settings.zip_max_ratio * max(
            e.compress_size, 1
        ):
            raise ParseFailed(
                f"the zip entry {e.filename} is compressed {e.file_size / max(e.compress_size, 1):,.0f}:1 "
                f"(limit {settings.zip_max_ratio}:1): it looks like a zip bomb"
            )


def check_image_file(path: Path, fmt: str, settings: ParsingSettings) -> None:
    size = path.stat().st_size
    if size > settings.image_max_bytes:
        raise ParseFailed(
            f"image over {size_text(settings.image_max_bytes)} ({size_text(size)}): make it smaller"
        )
    check_pixels(*image_dimensions(path, fmt), settings)


def image_dimensions(path: Path, fmt: str) -> tuple[int, int]:
    """Width and height read from the header by the format's own Pillow plugin; no pixel is decoded.

    The plugin is used directly because ``Image.open`` applies Pillow's process-wide pixel limit
    first, and this check is to apply ours.
    """
    from PIL import BmpImagePlugin, GifImagePlugin, ImageFile, JpegImagePlugin, PngImagePlugin

    plugins: dict[str, Callable[[BinaryIO], ImageFile.ImageFile]] = {
        "png": PngImagePlugin.PngImageFile,
        "jpeg": JpegImagePlugin.JpegImageFile,
        "gif": GifImagePlugin.GifImageFile,
        "bmp": BmpImagePlugin.BmpImageFile,
    }
    try:
        with path.open("rb") as f, plugins[fmt](f) as image:
            return image.size
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise ParseFailed(f"the image is damaged: {exc}") from exc


def check_pixels(width: int, height: int, settings: ParsingSettings) -> None:
    if width * height > settings.image_max_pixels:
        raise ParseFailed(
            f"the image is too large: {width:,} × {height:,} pixels (limit {settings.image_max_pixels:,} pixels)"
        )


def size_text(n: int) -> str:
    """A byte count as a person reads it: "1.5 MB", "2 GB", "4,096 bytes"."""
    if n >= 1024 * MB:
        return f"{n / (1024 * MB):.1f} GB".replace(".0 GB", " GB")
    if n >= MB:
        return f"{n / MB:.1f} MB".replace(".0 MB", " MB")
    return f"{n:,} bytes"
