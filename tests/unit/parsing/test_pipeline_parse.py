"""parse_path end to end: every accepted format reaches its backend, strategies reach the request."""

from __future__ import annotations

from pathlib import Path

import pytest

from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing import parse_path
from longdoc.parsing.registry import BACKENDS
from longdoc.parsing.sniff import EXTENSIONS

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"


class RefusingOcr:
    """An OCR engine that must not be called."""

    def recognize(self, image: object) -> str:
        raise AssertionError("OCR ran under text_only")


def test_every_sniffed_format_has_a_backend() -> None:
    assert set(EXTENSIONS.values()) <= set(BACKENDS)


@pytest.mark.parametrize(
    "name",
    [
        "R-intro.p12-14.pdf",
        "nodejs-api-url.md",
        "distro-info-debian.csv",
        "iso_3166-1.json",
        "debian-edu-manual.zh-cn.toc.gb18030.txt",
        "officer-example.docx",
        "readxl-deaths.xlsx",
        "officer-example.pptx",
        "live-manual.en.epub",
    ],
)
def test_text_only_parse_of_each_format(name: str) -> None:
    path = DOCUMENTS / name
    if not path.exists():
        pytest.skip(f"{name} is not in tests/data/documents")
    doc = parse_path(path, strategy=ParsingStrategy.TEXT_ONLY, filename=name, ocr=RefusingOcr())
    assert doc.format == EXTENSIONS[Path(name).suffix]
    assert doc.text.strip()
    assert doc.pages and all(0 <= p.start <= p.end <= len(doc.text) for p in doc.pages)


def test_strategy_may_be_given_by_its_wire_name() -> None:
    doc = parse_path(DOCUMENTS / "R-intro.p12-14.scanned.pdf", strategy="text_only")  # type: ignore[arg-type]
    assert doc.errors and doc.errors[0].category == "ocr"


def test_the_blob_name_does_not_matter(tmp_path: Path) -> None:
    """The service stores bytes under a content address; the user's filename picks the text kind."""
    blob = tmp_path / "3f9a0c"
    blob.write_bytes((DOCUMENTS / "distro-info-debian.csv").read_bytes())
    assert parse_path(blob, filename="distro-info-debian.csv").format == "csv"
    assert parse_path(blob).format == "txt"


def test_failures_are_parse_failed(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7\n% nothing else\n")
    with pytest.raises(ParseFailed, match=r"^the PDF is damaged"):
        parse_path(path)
