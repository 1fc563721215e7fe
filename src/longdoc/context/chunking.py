"""Cut a parsed document into token-sized chunks that follow its structure.

Rules, in order of precedence:

- A chunk never spans two pages (slides, sheets): a citation names one page, and a page break is
  a natural seam. A tiny page is a tiny chunk; that costs the index nothing.
- A heading starts a new chunk, unless the chunk so far is shorter than ``min_tokens`` (a run of
  short sections is read better together than as slivers).
- Paragraphs (blocks between blank lines) stay whole when they fit ``max_tokens``; longer ones
  are cut between lines, then between sentences, then on token boundaries.
- Markdown table rows are never cut (unless a single row exceeds ``max_tokens``). A table split
  across chunks repeats its header rows in each later chunk's ``prefix``.
- Blocks are packed greedily up to ``target_tokens``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from longdoc.context.tokens import TokenCounter
from longdoc.core.chunks import Chunk
from longdoc.core.documents import Document, Heading

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])[\"')\]”’」』]*\s+|(?<=[。！？；])")
REPEATED_HEADER_SHARE = 2  # a table header is repeated in later chunks while it is at most half a chunk
_TABLE_RULE = re.compile(r"\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?")


@dataclass(slots=True)
class _Unit:
    """An uncuttable piece: a heading, a table row, a paragraph or a part of one."""

    start: int
    end: int
    tokens: int
    heading: Heading | None = None
    table_header: str = ""  # for a table body row: its table's header rows


def chunk_document(
    doc: Document,
    *,
    file_id: str,
    counter: TokenCounter,
    target_tokens: int = 256,
    max_tokens: int = 384,
    min_tokens: int = 32,
) -> list[Chunk]:
    """The chunks of ``doc`` in document order, indexed from 0."""
    if not 0 < target_tokens <= max_tokens:
        raise ValueError("need 0 < target_tokens <= max_tokens")
    cutter = _Cutter(doc.text, counter, target_tokens, max_tokens)
    headings = sorted(doc.headings, key=lambda h: h.start)
    path: list[Heading] = []
    chunks: list[Chunk] = []
    next_heading = 0
    for page, start, end in _regions(doc):
        while next_heading < len(headings) and headings[next_heading].start < start:
            _enter(path, headings[next_heading])
            next_heading += 1
        inside: list[Heading] = []
        while next_heading < len(headings) and headings[next_heading].start < end:
            inside.append(headings[next_heading])
            next_heading += 1
        packer = _Packer(doc.text, counter, file_id, page, chunks, path, target_tokens, min_tokens)
        for unit in cutter.units(start, end, inside):
            packer.add(unit)
        packer.close()
    return chunks


def _regions(doc: Document) -> Iterator[tuple[int | None, int, int]]:
    """(page number, start, end) of each page, plus any text lying outside every page."""
    text = doc.text
    if not doc.pages:
        yield None, 0, len(text)
        return
    position = 0
    for page in sorted(doc.pages, key=lambda p: p.start):
        if page.start > position and text[position : page.start].strip():
            yield None, position, page.start
        yield page.number, max(page.start, position), page.end
        position = max(position, page.end)
    if text[position:].strip():
        yield None, position, len(text)


def _enter(path: list[Heading], heading: Heading) -> None:
    while path and path[-1].level >= heading.level:
        path.pop()
    path.append(heading)


class _Cutter:
    """Turns a span of the text into units no longer than ``max_tokens``."""

    def __init__(self, text: str, counter: TokenCounter, target: int, maximum: int) -> None:
        self.text = text
        self.counter = counter
        self.target = target
        self.maximum = maximum

    def units(self, start: int, end: int, headings: list[Heading]) -> Iterator[_Unit]:
        position = start
        for heading in headings:
            yield from self._blocks(position, heading.start)
            line_end = self._heading_end(heading, end)
            span = self._trim(heading.start, line_end)
            if span:
                s, e = span
                yield _Unit(s, e, self.counter.count(self.text[s:e]), heading=heading)
            position = max(position, line_end)
        yield from self._blocks(position, end)

    def _heading_end(self, heading: Heading, limit: int) -> int:
        end = heading.start + len(heading.text)
        if self.text.startswith(heading.text, heading.start):
            return min(end, limit)
        newline = self.text.find("\n", heading.start, limit)
        return limit if newline < 0 else newline

    def _trim(self, start: int, end: int) -> tuple[int, int] | None:
        piece = self.text[start:end]
        stripped = piece.strip()
        if not stripped:
            return None
        lead = len(piece) - len(piece.lstrip())
        return start + lead, start + lead + len(stripped)

    def _blocks(self, start: int, end: int) -> Iterator[_Unit]:
        if start >= end:
            return
        position = start
        for gap in _BLANK_LINE.finditer(self.text, start, end):
            yield from self._block(position, gap.start())
            position = gap.end()
        yield from self._block(position, end)

    def _block(self, start: int, end: int) -> Iterator[_Unit]:
        span = self._trim(start, end)
        if span is None:
            return
        start, end = span
        block = self.text[start:end]
        if block.startswith("|"):
            table = self._table(start, block)
            if table is not None:
                yield from table
                return
        yield from self._piece(start, end, level=0)

    def _table(self, start: int, block: str) -> list[_Unit] | None:
        lines = block.split("\n")
        if len(lines) < 2 or not all(line.lstrip().startswith("|") for line in lines):
            return None
        header_lines = 2 if _TABLE_RULE.fullmatch(lines[1].strip()) else 0
        header = "\n".join(lines[:header_lines])
        # A header is repeated only while it is a small part of a chunk: a very wide one repeated
        # before every few rows would multiply the index (and the work of building it) by its width.
        repeated = header if self.counter.count(header) <= self.target // REPEATED_HEADER_SHARE else ""
        units: list[_Unit] = []
        position = start
        for i, line in enumerate(lines):
            row_end = position + len(line)
            row_header = repeated if i >= header_lines else ""
            for unit in self._piece(position, row_end, level=2):
                unit.table_header = row_header
                units.append(unit)
            position = row_end + 1
        # The header rows travel with the first body row, so a table never opens with a bare header.
        if header_lines and len(units) > header_lines:
            head = units[:header_lines]
            first = units[header_lines]
            merged = _Unit(head[0].start, first.end, self.counter.count(self.text[head[0].start : first.end]))
            merged.table_header = repeated
            units = [merged, *units[header_lines + 1 :]]
            units[0].table_header = ""
        return units

    def _piece(self, start: int, end: int, level: int) -> Iterator[_Unit]:
        """``text[start:end]`` as one unit if it fits, else cut at ever finer seams."""
        span = self._trim(start, end)
        if span is None:
            return
        start, end = span
        piece = self.text[start:end]
        tokens = self.counter.count(piece)
        if tokens <= self.maximum:
            yield _Unit(start, end, tokens)
            return
        if level == 0 and "\n" in piece:
            cuts = [start + m.end() for m in re.finditer("\n", piece)]
        elif level <= 1:
            cuts = [start + m.end() for m in _SENTENCE_END.finditer(piece) if m.end() < len(piece)]
        else:
            cuts = []
        if not cuts:
            cuts = [start + c for c in self.counter.cut_points(piece, self.target)]
            bounds = [start, *cuts, end]
            for a, b in pairwise(bounds):
                if self.text[a:b].strip():
                    yield _Unit(a, b, self.counter.count(self.text[a:b]))
            return
        bounds = [start, *cuts, end]
        for a, b in pairwise(bounds):
            yield from self._piece(a, b, level + 1)


class _Packer:
    """Packs one page's units into chunks, appending them to ``chunks``."""

    def __init__(
        self,
        text: str,
        counter: TokenCounter,
        file_id: str,
        page: int | None,
        chunks: list[Chunk],
        path: list[Heading],
        target: int,
        minimum: int,
    ) -> None:
        self.text = text
        self.counter = counter
        self.file_id = file_id
        self.page = page
        self.chunks = chunks
        self.path = path
        self.target = target
        self.minimum = minimum
        self.units: list[_Unit] = []
        self.content = False  # whether the chunk so far holds more than headings
        self.tokens = 0
        self.prefix = ""
        self.heading_path: tuple[str, ...] = tuple(h.text for h in path)

    def add(self, unit: _Unit) -> None:
        if self.units and self.content:
            heading_break = unit.heading is not None and self.tokens >= self.minimum
            # Headings stay with what follows them, even past the target.
            if heading_break or self.tokens + unit.tokens > self.target:
                self.close()
        if unit.heading is not None:
            _enter(self.path, unit.heading)
        if not self.content:
            # The chunk sits under the headings it opens with.
            self.heading_path = tuple(h.text for h in self.path)
        if not self.units:
            self.prefix = unit.table_header
            self.tokens = self.counter.count(self.prefix) if self.prefix else 0
        self.units.append(unit)
        self.content = self.content or unit.heading is None
        self.tokens += unit.tokens

    def close(self) -> None:
        if not self.units:
            return
        start, end = self.units[0].start, self.units[-1].end
        if len(self.units) == 1 and not self.prefix:
            tokens = self.units[0].tokens  # counted already, exactly
        else:
            body = self.text[start:end]
            tokens = self.counter.count(f"{self.prefix}\n{body}" if self.prefix else body)
        self.chunks.append(
            Chunk(
                file_id=self.file_id,
                index=len(self.chunks),
                page=self.page,
                start=start,
                end=end,
                tokens=tokens,
                heading_path=self.heading_path,
                prefix=self.prefix,
            )
        )
        self.units = []
        self.content = False
        self.tokens = 0
        self.prefix = ""
