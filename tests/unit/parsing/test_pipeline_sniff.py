"""sniff names formats from the bytes: real files, renamed files, containers and their insides."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from longdoc.core.errors import ParseFailed
from longdoc.parsing.sniff import sniff

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"

REAL_FILES = [
    ("R-intro.p12-14.pdf", "pdf"),
    ("R-intro.p12-14.scanned.pdf", "pdf"),
    ("lo-tip-formdocuments.png", "png"),
    ("debian-edu-manual.zh-cn.toc.gb18030.txt", "txt"),
    ("nodejs-api-url.md", "md"),
    ("distro-info-debian.csv", "csv"),
    ("iso_3166-1.json", "json"),
    # the office and ebook files are the other backends' test documents; sniff must name them too
    ("officer-example.docx", "docx"),
    ("readxl-datasets.xlsx", "xlsx"),
    ("officer-example.pptx", "pptx"),
    ("officer-example.doc", "doc"),
    ("readxl-deaths.xls", "xls"),
    ("officer-example.ppt", "ppt"),
    ("live-manual.en.epub", "epub"),
    ("debian-edu-manual.zh-cn.part.epub", "epub"),  # the whole book nested one folder down
    ("debian-edu-manual.zh-cn.part.kf8.mobi", "mobi"),
]


@pytest.mark.parametrize(("name", "fmt"), REAL_FILES)
def test_real_files_by_their_bytes(name: str, fmt: str, tmp_path: Path) -> None:
    path = DOCUMENTS / name
    if not path.exists():
        pytest.skip(f"{name} is not in tests/data/documents")
    assert sniff(path, name) == fmt
    # a blob store keeps bytes under an opaque name: the bytes alone decide binary formats
    blob = tmp_path / "blob"
    shutil.copy(path, blob)
    expected_nameless = "txt" if fmt in ("md", "csv", "json") else fmt
    assert sniff(blob, None) == expected_nameless


def test_image_kinds_by_magic(tmp_path: Path) -> None:
    from PIL import Image

    source = Image.open(DOCUMENTS / "lo-tip-formdocuments.png").convert("RGB")
    for pillow_format, fmt in (("JPEG", "jpeg"), ("GIF", "gif"), ("BMP", "bmp"), ("PNG", "png")):
        path = tmp_path / f"image.{fmt}"
        source.save(path, format=pillow_format)
        assert sniff(path, "upload.bin") == fmt


def test_extension_picks_the_text_kind(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert sniff(path, "table.csv") == "csv"
    assert sniff(path, "table.tsv") == "csv"
    assert sniff(path, "notes.md") == "md"
    assert sniff(path, "notes.txt") == "txt"
    assert sniff(path, "data.json") == "json"
    assert sniff(path, "script.py") == "txt"
    assert sniff(path, None) == "txt"


def test_png_renamed_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    shutil.copy(DOCUMENTS / "lo-tip-formdocuments.png", path)
    with pytest.raises(ParseFailed) as failed:
        sniff(path, "scan.pdf")
    assert failed.value.message == "the file is named .pdf but its bytes are a PNG image"


def test_text_named_as_binary_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_text("just some words\n", encoding="utf-8")
    with pytest.raises(ParseFailed, match=r"named \.docx but its bytes are plain text"):
        sniff(path, "report.docx")


def test_related_formats_parse_by_content(tmp_path: Path) -> None:
    """A DOCX saved as .doc, a PDF named .txt, a PNG named .jpg: what the user meant is clear."""
    docx = tmp_path / "a.doc"
    shutil.copy(DOCUMENTS / "officer-example.docx", docx)
    assert sniff(docx, "a.doc") == "docx"
    pdf = tmp_path / "a.txt"
    shutil.copy(DOCUMENTS / "R-intro.p12-14.pdf", pdf)
    assert sniff(pdf, "a.txt") == "pdf"
    png = tmp_path / "a.jpg"
    shutil.copy(DOCUMENTS / "lo-tip-formdocuments.png", png)
    assert sniff(png, "a.jpg") == "png"


def _zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return path


def test_docx_without_document_xml(tmp_path: Path) -> None:
    path = _zip(tmp_path / "report.docx", ["[Content_Types].xml", "_rels/.rels", "word/styles.xml"])
    with pytest.raises(ParseFailed) as failed:
        sniff(path, "report.docx")
    assert failed.value.message == "not a DOCX: the zip holds no word/document.xml"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("book.xlsx", "not an XLSX: the zip holds no xl/workbook.xml"),
        ("deck.pptx", "not a PPTX: the zip holds no ppt/presentation.xml"),
        ("book.epub", "not an EPUB: the zip holds no META-INF/container.xml"),
        ("archive.zip", "a zip archive that is not a DOCX, XLSX, PPTX or EPUB file is not supported"),
        ("scan.pdf", "the file is named .pdf but its bytes are a zip archive"),
    ],
)
def test_zip_that_is_not_what_it_claims(name: str, message: str, tmp_path: Path) -> None:
    path = _zip(tmp_path / "blob", ["readme.txt"])
    with pytest.raises(ParseFailed) as failed:
        sniff(path, name)
    assert failed.value.message == message


def test_zip_kind_from_its_parts(tmp_path: Path) -> None:
    assert sniff(_zip(tmp_path / "a", ["word/document.xml"]), None) == "docx"
    assert sniff(_zip(tmp_path / "b", ["xl/workbook.xml"]), None) == "xlsx"
    assert sniff(_zip(tmp_path / "c", ["ppt/presentation.xml"]), None) == "pptx"
    epub = tmp_path / "e"
    with zipfile.ZipFile(epub, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
    assert sniff(epub, None) == "epub"


def test_docx_named_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    shutil.copy(DOCUMENTS / "officer-example.docx", path)
    with pytest.raises(ParseFailed, match=r"named \.xlsx but its bytes are a DOCX document"):
        sniff(path, "book.xlsx")


def test_damaged_zip(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    data = (DOCUMENTS / "officer-example.docx").read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the central directory is at the end: gone
    with pytest.raises(ParseFailed, match=r"^not a DOCX: the zip archive is damaged"):
        sniff(path, "report.docx")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.touch()
    with pytest.raises(ParseFailed, match=r"^empty file"):
        sniff(path, "empty.pdf")


def test_binary_noise_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(ParseFailed, match=r"^unsupported format"):
        sniff(path, "noise.bin")


def test_utf16_text_is_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Grüße, 世界\n".encode("utf-16"))
    assert sniff(path, "notes.txt") == "txt"


def test_ole_without_office_streams(tmp_path: Path) -> None:
    import olefile

    # an OLE file is easiest made from a real one: hide its WordDocument stream's name
    data = bytearray((DOCUMENTS / "officer-example.doc").read_bytes())
    marker = "WordDocument".encode("utf-16-le")
    at = data.find(marker)
    assert at > 0
    data[at : at + len(marker)] = "WordDokument".encode("utf-16-le")
    path = tmp_path / "letter.doc"
    path.write_bytes(bytes(data))
    assert olefile.isOleFile(str(path))
    with pytest.raises(ParseFailed) as failed:
        sniff(path, "letter.doc")
    assert failed.value.message == "not a DOC: the file holds no WordDocument stream"
