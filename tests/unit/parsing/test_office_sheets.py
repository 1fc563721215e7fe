"""XLSX and XLS backends: stale dimensions, merged cells, dates, number text, layout, speed."""

from __future__ import annotations

import shutil
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest

from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import ParseRequest
from longdoc.parsing.spreadsheet import cell_text
from longdoc.parsing.xls_backend import XlsBackend
from longdoc.parsing.xlsx_backend import XlsxBackend

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
CORPUS = Path("/work/shared/corpus/office")


def xlsx(path: Path) -> object:
    return XlsxBackend().parse(ParseRequest(path=path))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (12.0, "12"),
        (-3.0, "-3"),
        (0.1 + 0.2, "0.3"),
        (1.34, "1.34"),
        (1e20, "1e+20"),
        (7, "7"),
        (True, "TRUE"),
        (datetime(2016, 1, 1), "2016-01-01"),
        (datetime(2016, 1, 1, 13, 5, 9, 500), "2016-01-01 13:05:09"),
        (date(1999, 12, 31), "1999-12-31"),
        (clock(8, 30), "08:30:00"),
        (timedelta(hours=26), "1 day, 2:00:00"),
        ("  padded  ", "padded"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_stale_dimension_does_not_hide_rows() -> None:
    # every sheet of this workbook declares <dimension ref="A1"/>: read naively, one cell each
    doc = xlsx(DOCUMENTS / "readxl-datasets.xlsx")
    assert [p.label for p in doc.pages] == ["iris", "mtcars", "chickwts", "quakes"]
    iris = doc.page_text(doc.pages[0])
    assert iris.count("\n| ") == 151  # header rule aside: header + 150 rows
    assert "| Sepal.Length | Sepal.Width | Petal.Length | Petal.Width | Species |" in iris
    assert "| 5.1 | 3.5 | 1.4 | 0.2 | setosa |" in iris
    quakes = doc.page_text(doc.pages[3])
    assert quakes.count("\n| ") == 1001


def test_merged_cells_notes_and_dates() -> None:
    doc = xlsx(DOCUMENTS / "readxl-deaths.xlsx")
    arts = doc.page_text(doc.pages[0])
    # B4:E4 is merged: its value once, in B, C to E empty
    assert "| or | merging |  |  |  | cells |" in arts
    assert "| David Bowie | musician | 69 | TRUE | 1947-01-08 | 2016-01-10 |" in arts
    # notes above and below the table are kept, in place
    assert arts.index("Lots of people") < arts.index("David Bowie") < arts.index("too!")
    assert doc.headings[0].text == "arts" and doc.pages[1].label == "other"


def test_sparse_sheet_drops_empty_leading_rows_and_columns() -> None:
    doc = xlsx(DOCUMENTS / "readxl-geometry.xlsx")
    assert doc.text == (
        "Sheet1\n\n| B3 | C3 | D3 |\n|---|---|---|\n| B4 | C4 | D4 |\n| B5 | C5 | D5 |\n| B6 | C6 | D6 |"
    )


def test_xls_reads_like_the_same_workbook_as_xlsx() -> None:
    from_xls = XlsBackend().parse(ParseRequest(path=DOCUMENTS / "readxl-deaths.xls"))
    from_xlsx = xlsx(DOCUMENTS / "readxl-deaths.xlsx")
    assert from_xls.format == "xls"
    assert from_xls.text == from_xlsx.text
    assert [p.label for p in from_xls.pages] == [p.label for p in from_xlsx.pages]


def test_stored_upload_without_extension(tmp_path: Path) -> None:
    blob = tmp_path / "3f2a9c"  # the blob store names files by content, not by type
    shutil.copyfile(DOCUMENTS / "readxl-deaths.xlsx", blob)
    assert xlsx(blob).text == xlsx(DOCUMENTS / "readxl-deaths.xlsx").text


def test_broken_workbooks_fail_with_a_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ParseFailed, match="unreadable XLSX"):
        xlsx(bad)
    with pytest.raises(ParseFailed, match="unreadable XLS"):
        XlsBackend().parse(ParseRequest(path=bad))


def test_large_sheet_parses_in_seconds() -> None:
    path = CORPUS / "openxlsx-readTest.xlsx"
    if not path.exists():
        pytest.skip("shared corpus not present")
    started = time.perf_counter()
    doc = xlsx(path)
    elapsed = time.perf_counter() - started
    assert len(doc.text) > 500_000 and len(doc.pages) == 12
    assert elapsed < 15, f"{elapsed:.1f} s"
