"""One parse, in this process: sniff the bytes, check they are safe to decode, run the backend,
check that what it read is readable."""

from __future__ import annotations

from pathlib import Path

from longdoc.config import ParsingSettings
from longdoc.core.documents import Document, ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import OcrEngine, ParseRequest
from longdoc.parsing.readability import check_readable
from longdoc.parsing.registry import backend_for
from longdoc.parsing.safety import check_file
from longdoc.parsing.sniff import sniff


def parse_path(
    path: Path,
    *,
    strategy: ParsingStrategy = ParsingStrategy.AUTO,
    filename: str | None = None,
    settings: ParsingSettings | None = None,
    ocr: OcrEngine | None = None,
) -> Document:
    """Parse the file at ``path`` into a Document, or raise ``ParseFailed`` with a reason a person can act on.

    ``filename`` is the name the user gave the file (``path`` may be a content-addressed blob).
    ``ocr`` replaces the process's shared OCR engine; it is not used under ``text_only``.
    This runs the parser in the calling process: for untrusted files use ``parse_isolated``.
    """
    settings = settings or ParsingSettings()
    strategy = ParsingStrategy(strategy)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ParseFailed(f"the file cannot be read: {exc.strerror or exc}") from exc
    if size == 0:
        raise ParseFailed("empty file: it holds no bytes")

    fmt = sniff(path, filename)
    check_file(path, fmt, settings)
    if strategy is not ParsingStrategy.TEXT_ONLY and ocr is None:
        from longdoc.parsing.ocr import shared_ocr_engine

        ocr = shared_ocr_engine(settings.ocr_threads)
    request = ParseRequest(
        path=path,
        strategy=strategy,
        filename=filename,
        settings=settings,
        ocr=None if strategy is ParsingStrategy.TEXT_ONLY else ocr,
    )
    document = backend_for(fmt).parse(request)
    if document.format != fmt:
        document = document.model_copy(update={"format": fmt})
    check_readable(document)
    return document
