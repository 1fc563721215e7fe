"""What a file is, decided from its bytes.

Neither the name nor the declared content type is trusted. The extension only chooses between
text kinds (txt, md, csv, json), and an extension that claims a *different binary* format than
the bytes is refused, because such a file is more likely broken or mislabelled than useful.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePath

from longdoc.core.errors import ParseFailed
from longdoc.parsing.text_encoding import looks_like_text

SAMPLE_BYTES = 64 * 1024

TEXT_FORMATS = ("txt", "md", "csv", "json")
ZIP_FORMATS = ("docx", "xlsx", "pptx", "epub")
OLE_FORMATS = ("doc", "xls", "ppt")
IMAGE_FORMATS = ("png", "jpeg", "gif", "bmp")

# extension -> the format it claims
EXTENSIONS: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx", ".docm": "docx", ".dotx": "docx",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xltx": "xlsx",
    ".pptx": "pptx", ".pptm": "pptx", ".potx": "pptx",
    ".doc": "doc", ".dot": "doc",
    ".xls": "xls", ".xlt": "xls",
    ".ppt": "ppt", ".pps": "ppt", ".pot": "ppt",
    ".epub": "epub",
    ".mobi": "mobi", ".azw": "mobi", ".azw3": "mobi", ".prc": "mobi",
    ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".jpe": "jpeg", ".gif": "gif", ".bmp": "bmp",
    ".txt": "txt", ".text": "txt", ".log": "txt",
    ".md": "md", ".markdown": "md",
    ".csv": "csv", ".tsv": "csv",
    ".json": "json",
}  # fmt: skip

DESCRIPTIONS: dict[str, str] = {
    "pdf": "a PDF document",
    "docx": "a DOCX document",
    "xlsx": "an XLSX workbook",
    "pptx": "a PPTX presentation",
    "doc": "a Word 97-2003 (DOC) document",
    "xls": "an Excel 97-2003 (XLS) workbook",
    "ppt": "a PowerPoint 97-2003 (PPT) presentation",
    "epub": "an EPUB book",
    "mobi": "a MOBI book",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "bmp": "a BMP image",
    "text": "plain text",
    "zip": "a zip archive",
    "ole": "an OLE2 compound file",
}

# Formats close enough that a mislabelled file is still what the user meant (a .doc that is a
# DOCX, a .png that is a JPEG): parse by content, without complaint.
_FAMILIES = ({"doc", "docx"}, {"xls", "xlsx"}, {"ppt", "pptx"}, set(IMAGE_FORMATS))

# what a zip must hold to be each format, as the message names it
_ZIP_MARKERS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
    "epub": "META-INF/container.xml",
}
_OLE_STREAMS = {"doc": "WordDocument", "xls": "Workbook or Book", "ppt": "PowerPoint Document"}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}


def sniff(path: Path, filename: str | None = None) -> str:
    """The format name of the file at ``path``; ``filename`` is the name the user gave it.

    Raises ``ParseFailed`` for an empty or unrecognised file, and for a name that claims a
    different binary format than the bytes hold.
    """
    name = filename if filename is not None else path.name
    ext = PurePath(name).suffix.lower()
    claimed = EXTENSIONS.get(ext)
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    if not head:
        raise ParseFailed("empty file: it holds no bytes")

    kind = _binary_kind(head)
    if kind == "zip":
        return _resolve(ext, claimed, _zip_format(path, ext, claimed))
    if kind == "ole":
        return _resolve(ext, claimed, _ole_format(path, ext, claimed))
    if kind is not None:
        return _resolve(ext, claimed, kind)

    if not looks_like_text(head):
        raise ParseFailed(
            "unsupported format: the bytes are not a PDF, an Office document, an EPUB or MOBI book, "
            "a PNG/JPEG/GIF/BMP image or text"
        )
    if claimed in TEXT_FORMATS:
        return claimed
    if claimed is not None:
        raise ParseFailed(f"the file is named {ext} but its bytes are {DESCRIPTIONS['text']}")
    return "txt"


def _binary_kind(head: bytes) -> str | None:
    """A format, or "zip"/"ole" (containers to look into), or None (maybe text)."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if (
        head.startswith(b"BM")
        and len(head) >= 18
        and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES
    ):
        return "bmp"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    if head[60:68] == b"BOOKMOBI":
        return "mobi"
    return None


def _resolve(ext: str, claimed: str | None, actual: str) -> str:
    if claimed is None or claimed == actual or claimed in TEXT_FORMATS:
        return actual
    if any(claimed in family and actual in family for family in _FAMILIES):
        return actual
    raise ParseFailed(f"the file is named {ext} but its bytes are {DESCRIPTIONS[actual]}")


def _zip_format(path: Path, ext: str, claimed: str | None) -> str:
    """Which Office or EPUB format a zip is, from its central directory (nothing is inflated)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = _small_entry(archive, "mimetype")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        if claimed in ZIP_FORMATS:
            raise ParseFailed(f"not {_article(claimed)}: the zip archive is damaged ({exc})") from exc
        raise ParseFailed(f"the file is a damaged zip archive ({exc})") from exc

    found = set(names)
    for fmt in ("docx", "xlsx", "pptx"):
        if _ZIP_MARKERS[fmt] in found:
            return fmt
    # EPUBs in the wild sometimes nest the whole book one folder down; a reader still opens them
    if mimetype == b"application/epub+zip" or any(n.endswith("META-INF/container.xml") for n in names):
        return "epub"
    if claimed in ZIP_FORMATS:
        raise ParseFailed(f"not {_article(claimed)}: the zip holds no {_ZIP_MARKERS[claimed]}")
    if claimed is not None and claimed not in TEXT_FORMATS:
        raise ParseFailed(f"the file is named {ext} but its bytes are {DESCRIPTIONS['zip']}")
    raise ParseFailed("a zip archive that is not a DOCX, XLSX, PPTX or EPUB file is not supported")


def _small_entry(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > 256:
        return None
    return archive.read(info).strip()


def _ole_format(path: Path, ext: str, claimed: str | None) -> str:
    """Which legacy Office format an OLE2 compound file is, by the streams it holds."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except (OSError, ValueError, IndexError) as exc:
        raise ParseFailed(f"the file is a damaged OLE2 compound file ({exc})") from exc
    top = {s.split("/")[0] for s in streams}
    if "EncryptedPackage" in top:
        raise ParseFailed("encrypted Office document: remove the password and upload again")
    if "WordDocument" in top:
        return "doc"
    if "Workbook" in top or "Book" in top:
        return "xls"
    if "PowerPoint Document" in top:
        return "ppt"
    if claimed in OLE_FORMATS:
        raise ParseFailed(f"not {_article(claimed)}: the file holds no {_OLE_STREAMS[claimed]} stream")
    if claimed is not None and claimed not in TEXT_FORMATS:
        raise ParseFailed(f"the file is named {ext} but its bytes are {DESCRIPTIONS['ole']}")
    raise ParseFailed("an OLE2 compound file that is not a DOC, XLS or PPT file is not supported")


def _article(fmt: str) -> str:
    upper = fmt.upper()
    return f"an {upper}" if upper[0] in "AEFHILMNORSX" else f"a {upper}"
