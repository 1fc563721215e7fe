"""XLSX: every worksheet a Page labelled with its name, its cells laid out by ``spreadsheet``.

Read-only mode streams rows and is the fastest way through large sheets; it trusts the sheet's
``<dimension>`` element, which some writers leave stale (a sheet then reads as one cell), so the
dimensions are reset before reading. Merged ranges need no special handling there: the file keeps
a merged value in its top-left cell only.
"""

from __future__ import annotations

from typing import Any

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.spreadsheet import write_sheet


class XlsxBackend:
    formats = ("xlsx",)

    def parse(self, request: ParseRequest) -> Document:
        import openpyxl

        # a file object, not a path: openpyxl refuses paths whose extension it does not know,
        # and stored uploads have none
        with open(request.path, "rb") as stream:
            try:
                workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
            except Exception as exc:
                raise ParseFailed(f"unreadable XLSX: {exc}") from exc
            return self._read(workbook)

    @staticmethod
    def _read(workbook: Any) -> Document:
        try:
            builder = DocumentBuilder("xlsx", title=(workbook.properties.title or "").strip() or None)
            for number, sheet in enumerate(workbook.worksheets, start=1):
                builder.start_page(label=sheet.title)
                builder.heading(1, sheet.title)
                try:
                    sheet.reset_dimensions()
                    write_sheet(builder, sheet.iter_rows(values_only=True))
                except Exception as exc:
                    builder.error(f"sheet {sheet.title!r} could not be read: {exc}", page=number)
            return builder.build()
        finally:
            workbook.close()
