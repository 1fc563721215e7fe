"""Golden files for the office and e-book backends, each parsed through the real registry.

Regenerate with ``pytest tests/golden/test_golden_office_formats.py --regen-golden`` and review the diff.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from longdoc.config import ParsingSettings
from longdoc.parsing.base import ParseRequest
from longdoc.parsing.registry import backend_for

DOCUMENTS = Path(__file__).parents[1] / "data" / "documents"

CASES = [
    # (golden name, file, format)
    ("docx-officer-example", "officer-example.docx", "docx"),
    ("docx-officer-landscape-header", "officer-landscape.docx", "docx"),
    ("xlsx-readxl-deaths", "readxl-deaths.xlsx", "xlsx"),
    ("xlsx-readxl-datasets", "readxl-datasets.xlsx", "xlsx"),
    ("xls-readxl-deaths", "readxl-deaths.xls", "xls"),
    ("pptx-officer-example", "officer-example.pptx", "pptx"),
    ("epub-live-manual-en", "live-manual.en.epub", "epub"),
    ("epub-debian-edu-zh-cn-part-nested", "debian-edu-manual.zh-cn.part.epub", "epub"),
]


@pytest.mark.parametrize(("name", "filename", "fmt"), CASES, ids=[c[0] for c in CASES])
def test_office_and_ebook_golden(golden, name: str, filename: str, fmt: str) -> None:
    document = backend_for(fmt).parse(ParseRequest(path=DOCUMENTS / filename))
    assert document.format == fmt
    golden.check(name, document)


LEGACY = [
    ("doc-officer-example", "officer-example.doc", "doc"),
    ("ppt-officer-example", "officer-example.ppt", "ppt"),
]


@pytest.mark.libreoffice
@pytest.mark.parametrize(("name", "filename", "fmt"), LEGACY, ids=[c[0] for c in LEGACY])
def test_legacy_office_golden(golden, name: str, filename: str, fmt: str) -> None:
    if shutil.which(ParsingSettings().libreoffice) is None:
        pytest.skip("LibreOffice not installed")
    document = backend_for(fmt).parse(ParseRequest(path=DOCUMENTS / filename))
    assert document.format == fmt
    golden.check(name, document)


MOBI = [
    ("mobi-kf8-debian-edu-zh-cn-part", "debian-edu-manual.zh-cn.part.kf8.mobi"),
    ("mobi-mobi6-debian-edu-zh-cn-part", "debian-edu-manual.zh-cn.part.mobi6.mobi"),
]


@pytest.mark.parametrize(("name", "filename"), MOBI, ids=[c[0] for c in MOBI])
def test_mobi_golden(golden, name: str, filename: str) -> None:
    if shutil.which("mobitool") is None:
        pytest.skip("mobitool (Debian libmobi-tools) not installed")
    document = backend_for("mobi").parse(ParseRequest(path=DOCUMENTS / filename))
    assert document.format == "mobi"
    golden.check(name, document)
