"""Text files: TXT and Markdown as written, CSV as a Markdown table, JSON pretty-printed.

A text file is one page: it has no pages of its own, and character spans locate any passage.
Line ends become LF; nothing else in the text is changed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import PurePath

from longdoc.core.documents import Document, Heading
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.text_encoding import decode_text

_CSV_SAMPLE = 64 * 1024
_CSV_SAMPLE_ROWS = 50
_CSV_DELIMITERS = ",;\t|"
# Only the opening of an ATX heading is a pattern: the title and its closing #s are taken apart
# with string methods, because a pattern for them backtracks quadratically on long runs of spaces.
_ATX_OPEN = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def read_text(request: ParseRequest) -> tuple[str, str]:
    """The file's text with LF line ends, and its encoding."""
    text, encoding = decode_text(request.path.read_bytes())
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding


def single_page(request: ParseRequest, fmt: str) -> Document:
    """The whole text as one page."""
    text, encoding = read_text(request)
    builder = DocumentBuilder(fmt, encoding=encoding)
    builder.start_page()
    builder.paragraph(text)
    return builder.build()


class PlainTextBackend:
    formats = ("txt",)

    def parse(self, request: ParseRequest) -> Document:
        return single_page(request, "txt")


class MarkdownBackend:
    formats = ("md",)

    def parse(self, request: ParseRequest) -> Document:
        document = single_page(request, "md")
        headings = markdown_headings(document.text)
        title = next((h.text for h in headings if h.level == 1), None)
        return document.model_copy(update={"headings": headings, "title": title})


def markdown_headings(text: str) -> list[Heading]:
    """ATX (``# Title``) and setext (underlined) headings outside fenced code blocks."""
    headings: list[Heading] = []
    fence: str | None = None
    previous: tuple[int, str] | None = None  # (offset, line) of a paragraph line that may be underlined
    offset = 0
    for line in text.split("\n"):
        start = offset
        offset += len(line) + 1
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence, previous = opening.group(1), None
            continue
        atx = _ATX_OPEN.match(line)
        if atx:
            title = _atx_title(line[atx.end() :])
            if title:
                headings.append(Heading(level=len(atx.group(1)), text=title, start=start))
            previous = None
            continue
        underline = _SETEXT.match(line)
        if underline and previous is not None:
            headings.append(
                Heading(level=1 if underline.group(1)[0] == "=" else 2, text=previous[1], start=previous[0])
            )
            previous = None
            continue
        stripped = line.strip()
        previous = (
            (start + len(line) - len(line.lstrip()), stripped)
            if stripped and not line.startswith("    ")
            else None
        )
    return headings


def _atx_title(rest: str) -> str:
    """The title after an ATX opening, whitespace collapsed, without a closing run of #s (one
    that follows a space or tab after some title; a title of only #s is kept as it is)."""
    rest = rest.rstrip(" \t")
    body = rest.rstrip("#")
    if body.strip(" \t") and body[-1] in " \t":
        rest = body
    return " ".join(rest.split())


class CsvBackend:
    formats = ("csv",)

    def parse(self, request: ParseRequest) -> Document:
        text, encoding = read_text(request)
        builder = DocumentBuilder("csv", encoding=encoding)
        builder.start_page()
        delimiter = _delimiter(text[:_CSV_SAMPLE], request.filename or request.path.name)
        try:
            rows = [
                row
                for row in csv.reader(io.StringIO(text), delimiter=delimiter)
                if any(c.strip() for c in row)
            ]
        except csv.Error as exc:
            builder.paragraph(text)
            builder.error(f"not a well-formed CSV ({exc}); kept as plain text")
            return builder.build()
        builder.table(rows)
        return builder.build()


def _delimiter(sample: str, name: str) -> str:
    """The delimiter that splits the first rows into the same number (above one) of fields most often.

    ``csv.Sniffer`` is not used: its quote-guessing patterns take quadratic time (17 s on 64 KB
    of ``,"`` repeated); reading the rows with each candidate is linear.
    """
    if PurePath(name).suffix.lower() == ".tsv":
        return "\t"
    lines = sample.split("\n")
    if len(sample) == _CSV_SAMPLE and len(lines) > 1:
        lines.pop()  # cut off mid-row
    lines = lines[:_CSV_SAMPLE_ROWS]
    best, best_rows = ",", 0
    for delimiter in _CSV_DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:
            continue
        width, rows = Counter(widths).most_common(1)[0] if widths else (0, 0)
        if width > 1 and rows > best_rows:
            best, best_rows = delimiter, rows
    return best


class JsonBackend:
    formats = ("json",)

    def parse(self, request: ParseRequest) -> Document:
        text, encoding = read_text(request)
        builder = DocumentBuilder("json", encoding=encoding)
        builder.start_page()
        try:
            pretty = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        except (ValueError, RecursionError) as exc:
            builder.paragraph(text)
            builder.error(f"not valid JSON ({_json_problem(exc)}); kept as written")
            return builder.build()
        builder.paragraph(pretty)
        return builder.build()


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)
