"""(X)HTML → reading-order blocks: headings h1–h6, paragraphs, lists with markers, Markdown tables.

Used for EPUB chapters and MOBI books. Scripts, styles and other non-content elements are
dropped. ``<mbp:pagebreak/>`` (MOBI) becomes a ``break`` block so a book can be cut into pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_SKIP = {
    "script",
    "style",
    "head",
    "title",
    "noscript",
    "template",
    "iframe",
    "object",
    "svg",
    "math",
    "button",
}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "aside", "nav", "main", "blockquote", "figure",
    "figcaption", "address", "center", "dl", "dt", "dd", "form", "fieldset", "details", "summary", "caption",
    "body", "html", "hr", "li",
}  # fmt: skip
_BREAK = "\u2028"  # stands for <br> while whitespace is collapsed
_PAGEBREAK = "mbp:pagebreak"


@dataclass
class Block:
    kind: str  # heading, paragraph, table, break
    text: str = ""
    level: int = 0
    rows: list[list[str]] = field(default_factory=list)


def _tag(element: Any) -> str | None:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else None


def _collapse(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split(_BREAK)).strip()


def _inline_text(element: Any, excluded: frozenset[Any] = frozenset()) -> str:
    """All text under ``element`` with ``<br>`` kept and non-content (and ``excluded``) dropped."""
    parts: list[str] = []

    def visit(node: Any) -> None:
        tag = _tag(node)
        if tag in _SKIP or node in excluded:
            return
        if tag == "br":
            parts.append(_BREAK)
        elif tag is not None:
            parts.append(node.text or "")
            for child in node:
                visit(child)
                parts.append(child.tail or "")

    visit(element)
    return _collapse("".join(parts))


def _sub_lists(element: Any) -> list[Any]:
    """The lists directly inside a list item (not those nested in them)."""
    found = []
    for child in element:
        if _tag(child) in ("ul", "ol"):
            found.append(child)
        elif _tag(child) is not None:
            found.extend(_sub_lists(child))
    return found


def table_rows(table: Any) -> list[list[str]]:
    """Rows of cell texts; a cell spanning rows or columns leaves the covered cells empty."""
    rows: list[list[str]] = []
    pending: dict[int, int] = {}  # column -> rows a rowspan still covers
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        row: list[str] = []
        for cell in tr:
            if _tag(cell) not in ("td", "th"):
                continue
            _fill_covered(row, pending)
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            for k in range(span):
                if down > 1:
                    pending[len(row)] = down - 1
                row.append(_inline_text(cell).replace("\n", " ") if k == 0 else "")
        _fill_covered(row, pending)
        rows.append(row)
    return rows


def _fill_covered(row: list[str], pending: dict[int, int]) -> None:
    """Empty cells where a rowspan from a row above reaches into this one."""
    while pending.get(len(row), 0) > 0:
        pending[len(row)] -= 1
        row.append("")


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        text = _collapse("".join(self.buffer))
        self.buffer = []
        if text:
            self.blocks.append(Block("paragraph", text))

    def list_lines(self, element: Any, depth: int) -> list[str]:
        ordered = _tag(element) == "ol"
        number = _int(element.get("start")) if ordered else 0
        lines = []
        for item in element:
            if _tag(item) != "li":
                continue
            nested = _sub_lists(item)
            text = _inline_text(item, frozenset(nested))
            marker = f"{number}." if ordered else "-"
            if text:
                lines.append("  " * depth + f"{marker} {text.replace(chr(10), ' ')}")
            number += 1
            for sub in nested:
                lines.extend(self.list_lines(sub, depth + 1))
        return lines

    def walk(self, element: Any) -> None:
        tag = _tag(element)
        if tag is None or tag in _SKIP:
            return
        if tag == "br":
            self.buffer.append(_BREAK)
        elif tag == _PAGEBREAK:
            self.flush()
            self.blocks.append(Block("break"))
        elif tag in _HEADINGS:
            self.flush()
            text = " ".join(_inline_text(element).split())
            if text:
                self.blocks.append(Block("heading", text, level=_HEADINGS[tag]))
        elif tag == "pre":
            self.flush()
            text = "".join(element.itertext()).strip("\n")
            if text.strip():
                self.blocks.append(Block("paragraph", text))
        elif tag == "table":
            self.flush()
            rows = table_rows(element)
            if any(cell for row in rows for cell in row):
                self.blocks.append(Block("table", rows=rows))
        elif tag in ("ul", "ol"):
            self.flush()
            lines = self.list_lines(element, 0)
            if lines:
                self.blocks.append(Block("paragraph", "\n".join(lines)))
        else:
            block = tag in _BLOCKS
            if block:
                self.flush()
            self.buffer.append(element.text or "")
            for child in element:
                self.walk(child)
                self.buffer.append(child.tail or "")
            if block:
                self.flush()


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
# [^<>] rather than [^>]: each "<meta" is then searched only up to the next tag, so many
# unclosed "<meta"s cost linear time, not quadratic
_META_CHARSET = re.compile(rb"""<meta[^<>]+charset=["']?([A-Za-z0-9._-]+)""", re.IGNORECASE)


def detect_encoding(data: bytes) -> str:
    """The declared encoding of an (X)HTML file: BOM, XML declaration, ``<meta charset>``, else UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for pattern in (_XML_ENCODING, _META_CHARSET):
        match = pattern.search(data[:4096])
        if match:
            name = match.group(1).decode("ascii").lower()
            try:
                "".encode(name)
            except LookupError:
                continue
            return name
    return "utf-8"


@dataclass
class HtmlDocument:
    title: str | None
    blocks: list[Block]


def html_blocks(data: bytes) -> HtmlDocument:
    """Parse one (X)HTML file into its title and blocks."""
    import lxml.html
    from lxml import etree

    encoding = detect_encoding(data)
    parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):  # an empty file
        return HtmlDocument(None, [])
    title_element = root.find(".//title")
    title = " ".join(title_element.text_content().split()) if title_element is not None else None
    body = root.find(".//body")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    walker.flush()
    return HtmlDocument(title or None, walker.blocks)


def split_at_breaks(blocks: Iterable[Block]) -> list[list[Block]]:
    """Blocks cut into runs at ``break`` blocks; empty runs dropped."""
    runs: list[list[Block]] = [[]]
    for block in blocks:
        if block.kind == "break":
            runs.append([])
        else:
            runs[-1].append(block)
    return [run for run in runs if run]
