"""Which backend parses which format. Backends are imported only when their format is met."""

from __future__ import annotations

import importlib

from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import ParserBackend

# format name (as ``sniff`` returns it) -> "module:Class" of its backend
BACKENDS: dict[str, str] = {
    "pdf": "longdoc.parsing.pdf:PdfBackend",
    "png": "longdoc.parsing.images:ImageBackend",
    "jpeg": "longdoc.parsing.images:ImageBackend",
    "gif": "longdoc.parsing.images:ImageBackend",
    "bmp": "longdoc.parsing.images:ImageBackend",
    "txt": "longdoc.parsing.text:PlainTextBackend",
    "md": "longdoc.parsing.text:MarkdownBackend",
    "csv": "longdoc.parsing.text:CsvBackend",
    "json": "longdoc.parsing.text:JsonBackend",
    "docx": "longdoc.parsing.docx_backend:DocxBackend",
    "xlsx": "longdoc.parsing.xlsx_backend:XlsxBackend",
    "xls": "longdoc.parsing.xls_backend:XlsBackend",
    "pptx": "longdoc.parsing.pptx_backend:PptxBackend",
    "doc": "longdoc.parsing.legacy_office:DocBackend",
    "ppt": "longdoc.parsing.legacy_office:PptBackend",
    "epub": "longdoc.parsing.epub_backend:EpubBackend",
    "mobi": "longdoc.parsing.mobi_backend:MobiBackend",
    # backends register here, one line per format
}


def backend_for(fmt: str) -> ParserBackend:
    target = BACKENDS.get(fmt)
    if target is None:
        raise ParseFailed(f"unsupported format: {fmt}")
    module_name, class_name = target.split(":")
    backend: ParserBackend = getattr(importlib.import_module(module_name), class_name)()
    return backend
