"""Hostile and broken files, generated here (no bombs are committed): each ends as ParseFailed with
its reason, both in this process and through the isolated child, and the caller carries on."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from longdoc.config import ParsingSettings
from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing import parse_isolated, parse_path
from support.generated_files import make_pdf, png_header_only

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
GIB = 1024**3


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DOCX-shaped: word/document.xml inflates to 1 GiB of zeros (about 1 MB on disk)."""
    path = tmp_path_factory.mktemp("bomb") / "report.docx"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            for _ in range(1024):
                entry.write(zeros)
    return path


def _both(path: Path, name: str, strategy: ParsingStrategy = ParsingStrategy.AUTO) -> list[str]:
    """The failure reason in this process and in the isolated child (they must agree)."""
    reasons = []
    for parse in (parse_path, parse_isolated):
        with pytest.raises(ParseFailed) as failed:
            parse(path, strategy=strategy, filename=name)
        reasons.append(failed.value.message)
    assert reasons[0] == reasons[1]
    return reasons


# --- the cases --------------------------------------------------------------------------------


def test_the_generated_encrypted_pdf_is_real(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    path = tmp_path / "locked.pdf"
    path.write_bytes(make_pdf(["Quarterly numbers"], user_password=b"secret"))
    with pdfium.PdfDocument(path, password="secret") as pdf:
        assert pdf[0].get_textpage().get_text_range().strip() == "Quarterly numbers"


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(make_pdf(["Quarterly numbers"], user_password=b"secret"))
    assert _both(path, "locked.pdf")[0] == "encrypted PDF: remove the password and upload again"


def test_truncated_pdf(tmp_path: Path) -> None:
    data = (DOCUMENTS / "R-intro.p12-14.pdf").read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert (
        _both(path, "half.pdf")[0]
        == "the PDF is damaged: its structure cannot be read (truncated or corrupt)"
    )


def test_pdf_whose_pages_all_fail(tmp_path: Path) -> None:
    path = tmp_path / "hollow.pdf"
    path.write_bytes(make_pdf([None, None]))
    assert _both(path, "hollow.pdf")[0] == "the PDF is damaged: none of its pages could be read"


def test_zip_bomb(zip_bomb: Path) -> None:
    reason = _both(zip_bomb, "report.docx")[0]
    assert reason.startswith("the zip archive is compressed")
    assert reason.endswith("(limit 200:1): it looks like a zip bomb")


def test_zip_bomb_by_total_size(zip_bomb: Path) -> None:
    settings = ParsingSettings(zip_max_bytes=GIB // 2, zip_max_ratio=100_000)
    with pytest.raises(ParseFailed) as failed:
        parse_path(zip_bomb, filename="report.docx", settings=settings)
    assert failed.value.message == "the zip archive unpacks to 1 GB (limit 512 MB): it looks like a zip bomb"


def test_zip_with_too_many_entries(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for i in range(30):
            archive.writestr(f"word/media/{i}.xml", "")
    with pytest.raises(ParseFailed, match=r"^the zip archive holds 31 entries \(limit 20\)$"):
        parse_path(path, settings=ParsingSettings(zip_max_entries=20))


def test_pixel_bomb(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(png_header_only(100_000, 100_000))
    reason = _both(path, "huge.png")[0]
    assert reason == "the image is too large: 100,000 × 100,000 pixels (limit 100,000,000 pixels)"


def test_image_just_over_the_pixel_limit(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    path.write_bytes(png_header_only(20_000, 6_000))
    with pytest.raises(ParseFailed) as failed:
        parse_path(path)
    assert failed.value.message == "the image is too large: 20,000 × 6,000 pixels (limit 100,000,000 pixels)"


def test_image_over_the_byte_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes((DOCUMENTS / "lo-tip-formdocuments.png").read_bytes())
    with pytest.raises(ParseFailed, match=r"^image over 4,096 bytes \(7,774 bytes\): make it smaller$"):
        parse_path(path, settings=ParsingSettings(image_max_bytes=4096))


def test_docx_without_document_xml(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/styles.xml", "<w:styles/>")
    assert _both(path, "report.docx")[0] == "not a DOCX: the zip holds no word/document.xml"


def test_png_renamed_pdf(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes((DOCUMENTS / "lo-tip-formdocuments.png").read_bytes())
    assert _both(path, "scan.pdf")[0] == "the file is named .pdf but its bytes are a PNG image"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.txt"
    path.touch()
    assert _both(path, "nothing.txt")[0] == "empty file: it holds no bytes"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseFailed, match=r"^the file cannot be read"):
        parse_path(tmp_path / "gone.pdf")


def test_one_line_of_100_mb_with_bounded_memory(tmp_path: Path) -> None:
    """100 MB without a line break parses in a child limited to 6 times that."""
    path = tmp_path / "one-line.txt"
    words = b"lorem ipsum dolor sit amet " * 40_000
    with path.open("wb") as f:
        for _ in range(100):
            f.write(words)
    size = path.stat().st_size
    doc = parse_isolated(path, filename="one-line.txt", settings=ParsingSettings(memory_mb=600))
    assert len(doc.text) == size - 1  # the trailing space is trimmed
    assert "\n" not in doc.text
    assert [(p.start, p.end) for p in doc.pages] == [(0, size - 1)]
