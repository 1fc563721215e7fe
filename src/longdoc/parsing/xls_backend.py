"""XLS (Excel 97–2003, BIFF8) through xlrd: the same output shape as XLSX."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.spreadsheet import write_sheet


def _rows(book: Any, sheet: Any) -> Iterator[list[object]]:
    import xlrd

    for r in range(sheet.nrows):
        values: list[object] = []
        for cell in sheet.row(r):
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    values.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    values.append(cell.value)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                values.append(bool(cell.value))
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                values.append(xlrd.error_text_from_code.get(cell.value, "#ERR"))
            else:
                values.append(cell.value)
        yield values


class XlsBackend:
    formats = ("xls",)

    def parse(self, request: ParseRequest) -> Document:
        import xlrd

        try:
            # on_demand: sheets are decoded one at a time, so one broken sheet fails alone
            book = xlrd.open_workbook(str(request.path), on_demand=True)
        except Exception as exc:
            raise ParseFailed(f"unreadable XLS: {exc}") from exc
        try:
            builder = DocumentBuilder("xls")
            for number, name in enumerate(book.sheet_names(), start=1):
                builder.start_page(label=name)
                builder.heading(1, name)
                try:
                    write_sheet(builder, _rows(book, book.sheet_by_name(name)))
                except Exception as exc:
                    builder.error(f"sheet {name!r} could not be read: {exc}", page=number)
                finally:
                    book.unload_sheet(name)
            return builder.build()
        finally:
            book.release_resources()
