"""PDF through PDFium (pypdfium2): the text layer, page by page, with OCR where it is missing.

PDFium is not thread-safe: one parse per process at a time (``parse_isolated`` gives each parse
its own process).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Any

from longdoc.core.documents import Document, Heading, ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.ocr import OcrBudget
from longdoc.parsing.pdf_images import embedded_image_texts, looks_scanned, render_for_ocr

# PDFium marks a hyphen that splits a word at a line end (U+FFFE, U+0002 in older builds); the
# word continues right after it, so dropping the mark rejoins the word.
_HYPHEN_MARK = re.compile("[\ufffe\x02](?:\r\n)?")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_BOOKMARKS = 10_000
_TITLE_WORDS = 12  # enough to place a title; more only makes each position costlier to test
# characters searched for titles, in all: this many times the text, plus the floor
_SEARCH_FACTOR = 20
_SEARCH_FLOOR = 1_000_000


class PdfBackend:
    formats = ("pdf",)

    def parse(self, request: ParseRequest) -> Document:
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(request.path)
        except pdfium.PdfiumError as exc:
            raise ParseFailed(_open_failure(exc)) from exc
        try:
            return _parse_document(pdf, request)
        finally:
            pdf.close()


def clean_text(raw: str) -> str:
    """PDFium's page text as plain text: hyphen marks removed, LF line ends, NFKC."""
    text = _HYPHEN_MARK.sub("", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", unicodedata.normalize("NFKC", text))


def _parse_document(pdf: Any, request: ParseRequest) -> Document:
    import pypdfium2 as pdfium

    count = len(pdf)
    if count == 0:
        raise ParseFailed("the PDF is damaged: it has no pages")
    builder = DocumentBuilder("pdf", title=_title(pdf))
    budget = OcrBudget(request.settings)
    unreadable = 0
    for index in range(count):
        builder.start_page()
        try:
            page = pdf[index]
        except pdfium.PdfiumError as exc:
            unreadable += 1
            builder.error(f"the page could not be loaded: {exc}")
            continue
        try:
            _parse_page(page, request, builder, budget)
        except pdfium.PdfiumError as exc:
            unreadable += 1
            builder.error(f"the page could not be read: {exc}")
        finally:
            page.close()
    if unreadable == count:
        raise ParseFailed("the PDF is damaged: none of its pages could be read")
    document = builder.build()
    headings = _outline_headings(pdf, document)
    return document.model_copy(update={"headings": headings}) if headings else document


def _parse_page(page: Any, request: ParseRequest, builder: DocumentBuilder, budget: OcrBudget) -> None:
    textpage = page.get_textpage()
    try:
        text = clean_text(textpage.get_text_range())
    finally:
        textpage.close()
    if looks_scanned(page, text):
        builder.paragraph(_with_scan_text(page, text, request, builder, budget))
        return
    builder.paragraph(text)
    if request.ocr_images:
        found = embedded_image_texts(page, request, budget, builder)
        for image_text in found:
            builder.paragraph(image_text)
        if found:
            builder.mark_ocr()


def _with_scan_text(
    page: Any, text: str, request: ParseRequest, builder: DocumentBuilder, budget: OcrBudget
) -> str:
    """The page's text plus what OCR reads in its rendering (a scan has little or no text layer)."""
    ocr = request.ocr
    if ocr is None or request.strategy is ParsingStrategy.TEXT_ONLY:
        builder.error("the page is an image without a text layer: OCR is off under text_only", category="ocr")
        return text
    if budget.exhausted():
        builder.error("the page was not OCRed: the parse reached its time limit", category="limit")
        return text
    try:
        recognised = ocr.recognize(render_for_ocr(page, request.settings))
    except MemoryError:
        raise
    except Exception as exc:  # an OCR failure loses this page's scan text, not the document
        builder.error(f"OCR failed on this page: {exc}", category="ocr")
        return text
    if not recognised.strip():
        return text
    builder.mark_ocr()
    return recognised if not text.strip() else f"{text}\n\n{recognised}"


def _title(pdf: Any) -> str | None:
    try:
        title = str(pdf.get_metadata_dict().get("Title", "")).strip()
    except Exception:  # metadata is optional; a broken info dictionary costs only the title
        return None
    return title or None


def _outline_headings(pdf: Any, document: Document) -> list[Heading]:
    """Bookmarks as headings, placed where their title appears on their page.

    The outline is in reading order, so each title is looked for after the previous one on the
    same page; a title not found there sits right after the previous heading (or at page start).
    The search is bounded in all (``_SEARCH_FACTOR``): a hostile outline of thousands of long
    titles over one large page costs time in proportion to the text, not bookmarks x text.
    """
    headings: list[Heading] = []
    try:
        bookmarks = list(itertools.islice(pdf.get_toc(max_depth=6), _MAX_BOOKMARKS))
    except Exception:  # a damaged outline costs only the headings
        return headings
    budget = _SEARCH_FACTOR * len(document.text) + _SEARCH_FLOOR
    cursor = 0
    for bookmark in bookmarks:
        title = " ".join(unicodedata.normalize("NFKC", bookmark.get_title() or "").split())
        dest = bookmark.get_dest()
        index = dest.get_index() if dest is not None else None
        if not title or index is None or not 0 <= index < len(document.pages):
            continue
        page = document.pages[index]
        after = max(page.start, cursor) if cursor <= page.end else page.start
        found = None
        pattern = _title_pattern(title)
        # a title cut to its first words does not end its line
        whole = title.count(" ") < _TITLE_WORDS
        for candidate in (_line_end(pattern), pattern) if whole else (pattern,):
            if budget < page.end - after:
                break
            found = candidate.search(document.text, after, page.end)
            budget -= (found.end() if found else page.end) - after
            if found:
                break
        start = found.start() if found else after
        headings.append(Heading(level=min(bookmark.level + 1, 6), text=title, start=start))
        cursor = start
    headings.sort(key=lambda h: h.start)  # stable: outline order where starts tie
    return headings


def _line_end(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A heading usually ends its line: prefer that match over the words inside a sentence."""
    return re.compile(pattern.pattern + r"[ \t]*$", re.MULTILINE)


def _title_pattern(title: str) -> re.Pattern[str]:
    """The title's first words with any spacing between them and either form of quote mark.

    Only the first ``_TITLE_WORDS`` words are matched, which bounds the work at each position.
    """
    words = [re.escape(word) for word in title.split()[:_TITLE_WORDS]]
    return re.compile(r"\s+".join(words).replace("'", "['’]").replace('"', '["“”]'))


def _open_failure(exc: Any) -> str:
    import pypdfium2.raw as pdfium_c

    code = getattr(exc, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return "encrypted PDF: remove the password and upload again"
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return "the PDF uses an unsupported security handler: remove its protection and upload again"
    if code == pdfium_c.FPDF_ERR_FORMAT:
        return "the PDF is damaged: its structure cannot be read (truncated or corrupt)"
    if code == pdfium_c.FPDF_ERR_FILE:
        return "the PDF is damaged: the file cannot be read"
    return f"the PDF is damaged: {exc}"
