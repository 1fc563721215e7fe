"""DOCX: the body in XML order — headings from styles, lists with their markers, tables as Markdown.

DOCX has no pages; explicit page breaks start a new Page. Headers and footers are read once each,
not per page: a letterhead or a footer often holds the only mention of who wrote the document, so
each distinct header opens the first page and each distinct footer follows the body. Footnotes and
endnotes come last, referenced as ``[^N]`` / ``[^eN]``.
Merged table cells keep their text in the first cell and leave the others empty.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.docx_styles import ListNumbering, StyleBook, W
from longdoc.parsing.embedded_images import read_image_text
from longdoc.parsing.ooxml_variants import plain_ooxml

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
V = "{urn:schemas-microsoft-com:vml}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIPPED = {f"{W}pPr", f"{W}rPr", f"{W}del", f"{W}moveFrom", f"{W}instrText", f"{W}delText", MC_FALLBACK}
_NOTE_FURNITURE = {"separator", "continuationSeparator", "continuationNotice"}
_MAX_GRID_COLUMNS = 1000  # far beyond Word's 63 columns; a hostile span must not make a row huge


@dataclass
class _Runs:
    """A paragraph's text, split at explicit page breaks, and what it embeds."""

    # each segment's pieces, joined once at the end: appending to a string run by run is
    # quadratic in a paragraph of very many runs
    pieces: list[list[str]] = field(default_factory=lambda: [[]])
    images: list[str] = field(default_factory=list)
    textboxes: list[Any] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.pieces[-1].append(text)

    def page_break(self) -> None:
        self.pieces.append([])

    @property
    def segments(self) -> list[str]:
        return ["".join(pieces) for pieces in self.pieces]


def _collect(node: Any, out: _Runs) -> None:
    for child in node.iterchildren():
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag == f"{W}t":
            out.add(child.text or "")
        elif tag == f"{W}tab":
            out.add("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            if child.get(f"{W}type") == "page":
                out.page_break()
            else:
                out.add("\n")
        elif tag == f"{W}noBreakHyphen":
            out.add("-")
        elif tag == f"{W}footnoteReference":
            out.add(f"[^{child.get(f'{W}id')}]")
        elif tag == f"{W}endnoteReference":
            out.add(f"[^e{child.get(f'{W}id')}]")
        elif tag == f"{W}txbxContent":
            out.textboxes.append(child)
        elif tag == f"{A}blip" and child.get(f"{R}embed"):
            out.images.append(child.get(f"{R}embed"))
        elif tag == f"{V}imagedata" and child.get(f"{R}id"):
            out.images.append(child.get(f"{R}id"))
        else:
            _collect(child, out)


def paragraph_runs(p: Any) -> _Runs:
    out = _Runs()
    _collect(p, out)
    return out


def _in_fallback(element: Any) -> bool:
    return next(element.iterancestors(MC_FALLBACK), None) is not None


def table_rows(tbl: Any) -> list[list[str]]:
    """Rows of cell texts; a merged cell's text sits in its first grid cell, the rest are empty."""
    rows = []
    for tr in tbl.iterchildren(f"{W}tr"):
        row: list[str] = []
        grid_before = tr.find(f"{W}trPr/{W}gridBefore")
        if grid_before is not None:
            row.extend([""] * _grid_count(grid_before, 0))
        for tc in tr.iterchildren(f"{W}tc", f"{W}sdt"):
            if tc.tag == f"{W}sdt":
                tc = tc.find(f"{W}sdtContent/{W}tc")
                if tc is None:
                    continue
            props = tc.find(f"{W}tcPr")
            span = props.find(f"{W}gridSpan") if props is not None else None
            vmerge = props.find(f"{W}vMerge") if props is not None else None
            continued = vmerge is not None and vmerge.get(f"{W}val") in (None, "continue")
            text = ""
            if not continued:
                parts = (paragraph_runs(p).segments for p in tc.iter(f"{W}p") if not _in_fallback(p))
                text = " ".join(" ".join(seg) for seg in parts)
            row.append(text)
            row.extend([""] * (_grid_count(span, 1) - 1 if span is not None else 0))
        rows.append(row)
    return rows


def _grid_count(element: Any, default: int) -> int:
    """A count of grid columns (gridBefore, gridSpan), bounded."""
    return min(max(int(element.get(f"{W}val") or default), 0), _MAX_GRID_COLUMNS)


class _BodyWriter:
    def __init__(self, document: Any, request: ParseRequest, builder: DocumentBuilder) -> None:
        part = document.part
        self.part = part
        self.request = request
        self.builder = builder
        self.styles = StyleBook(_part_element(part, "styles"))
        self.numbering = ListNumbering(_part_element(part, "numbering"))
        self.list_lines: list[str] = []
        self.page_has_text = False
        self.images_seen: set[str] = set()

    # -- output
    def emit(self, kind: str, text: str, level: int = 0) -> None:
        if kind == "list":
            if text.strip():
                self.list_lines.append(text.rstrip())
            return
        self.flush_list()
        if not text.strip():
            return
        if kind == "heading":
            self.builder.heading(level, text)
        else:
            self.builder.paragraph(text)
        self.page_has_text = True

    def flush_list(self) -> None:
        if self.list_lines:
            self.builder.paragraph("\n".join(self.list_lines))
            self.list_lines = []
            self.page_has_text = True

    def page_break(self) -> None:
        self.flush_list()
        if self.page_has_text:
            self.builder.start_page()
            self.page_has_text = False

    # -- blocks
    def walk(self, container: Any) -> None:
        for child in container.iterchildren():
            tag = child.tag
            try:
                if tag == f"{W}p":
                    self.paragraph(child)
                elif tag == f"{W}tbl":
                    self.table(child)
                elif tag in (f"{W}customXml", f"{W}ins", f"{W}smartTag"):
                    self.walk(child)
                elif tag == f"{W}sdt" and child.find(f"{W}sdtContent") is not None:
                    self.walk(child.find(f"{W}sdtContent"))
            except Exception as exc:
                self.builder.error(f"a {tag.rsplit('}', 1)[-1]} block could not be read: {exc}")

    def paragraph(self, p: Any) -> None:
        props = p.find(f"{W}pPr")
        style_id = None
        num = None
        level = None
        if props is not None:
            style_id = props.find(f"{W}pStyle")
            style_id = style_id.get(f"{W}val") if style_id is not None else None
            if props.find(f"{W}pageBreakBefore") is not None:
                self.page_break()
            num_pr = props.find(f"{W}numPr")
            if num_pr is not None:
                num_id = num_pr.find(f"{W}numId")
                ilvl = num_pr.find(f"{W}ilvl")
                if num_id is not None:
                    num = (
                        num_id.get(f"{W}val") or "0",
                        int(ilvl.get(f"{W}val") or 0) if ilvl is not None else 0,
                    )
            outline = props.find(f"{W}outlineLvl")
            if outline is not None and (outline.get(f"{W}val") or "9").isdigit():
                value = int(outline.get(f"{W}val") or 9)
                level = value + 1 if value < 9 else None
        level = level or self.styles.heading_level(style_id)
        num = num or self.styles.numbering(style_id)
        marker = self.numbering.marker(*num) if num and num[0] != "0" else None

        runs = paragraph_runs(p)
        for i, segment in enumerate(runs.segments):
            if i:
                self.page_break()
            if level is not None:
                self.emit("heading", f"{marker.strip()} {segment}" if marker else segment, level)
            elif marker is not None:
                self.emit("list", marker + segment.strip() if segment.strip() else "")
            else:
                self.emit("paragraph", segment)
        for box in runs.textboxes:
            self.walk(box)
        self.ocr(runs.images)

    def table(self, tbl: Any) -> None:
        self.flush_list()
        rows = table_rows(tbl)
        if any(cell.strip() for row in rows for cell in row):
            self.builder.table(rows)
            self.page_has_text = True
        if self.request.ocr_images:
            self.ocr([b.get(f"{R}embed") for b in tbl.iter(f"{A}blip") if b.get(f"{R}embed")])

    def ocr(self, rel_ids: list[str]) -> None:
        if not self.request.ocr_images:
            return
        for rel_id in rel_ids:
            if rel_id in self.images_seen:
                continue
            self.images_seen.add(rel_id)
            target = self.part.related_parts.get(rel_id)
            if target is None:
                continue
            name = str(getattr(target, "partname", rel_id)).lstrip("/")
            text = read_image_text(self.request, target.blob, self.builder, name)
            if text:
                self.flush_list()
                self.builder.paragraph(text)
                self.builder.mark_ocr()
                self.page_has_text = True

    def furniture(self, body: Any, kind: str) -> None:
        """Each distinct header or footer (``kind``) the sections reference, once, in section order."""
        seen: set[str] = set()
        for reference in body.iter(f"{W}{kind}Reference"):
            target = self.part.related_parts.get(reference.get(f"{R}id"))
            root = getattr(target, "element", None)
            runs = (" ".join(paragraph_runs(p).segments) for p in root.iter(f"{W}p")) if root is not None else ()
            text = " ".join(" ".join(runs).split())
            if any(c.isalpha() for c in text) and text not in seen:  # not a bare page number
                seen.add(text)
                body_part, self.part = self.part, target  # its images are the header's relations
                try:
                    self.walk(root)
                finally:
                    self.part = body_part
        self.flush_list()

    def notes(self, kind: str, prefix: str) -> None:
        root = _part_element(self.part, kind)
        if root is None:
            return
        for note in root.iterchildren(f"{W}{kind[:-1]}"):
            if note.get(f"{W}type") in _NOTE_FURNITURE:
                continue
            texts = [" ".join(paragraph_runs(p).segments).strip() for p in note.iter(f"{W}p")]
            text = " ".join(t for t in texts if t)
            if text:
                self.emit("paragraph", f"[^{prefix}{note.get(f'{W}id')}]: {text}")


def _part_element(part: Any, reltype_suffix: str) -> Any:
    """The XML root of the document part related by ``…/<reltype_suffix>``, if any."""
    from lxml import etree

    for rel in part.rels.values():
        if rel.is_external or not rel.reltype.endswith("/" + reltype_suffix):
            continue
        target = rel.target_part
        element = getattr(target, "element", None)
        if element is not None:
            return element
        return etree.fromstring(target.blob, parser=etree.XMLParser(resolve_entities=False, huge_tree=True))
    return None


def _open(path: Any) -> Any:
    import docx

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseFailed(f"not a DOCX: the file is not a readable zip archive ({exc})") from exc
    if "word/document.xml" not in names and not any(n.startswith("word/document") for n in names):
        raise ParseFailed("not a DOCX: the zip holds no word/document.xml")
    try:
        return docx.Document(str(path))
    except Exception as exc:
        raise ParseFailed(f"unreadable DOCX: {exc}") from exc


def parse_docx(request: ParseRequest, fmt: str) -> Document:
    """Parse the DOCX at ``request.path``; ``fmt`` names the result (``doc`` after a conversion)."""
    with tempfile.TemporaryDirectory(prefix="longdoc-docx-") as tmp:
        # python-docx reads the whole package on open, so the copy may go right after
        document = _open(plain_ooxml(request.path, Path(tmp)))
    title = (document.core_properties.title or "").strip() or None
    builder = DocumentBuilder(fmt, title=title)
    builder.start_page()
    writer = _BodyWriter(document, request, builder)
    body = document.element.body
    writer.furniture(body, "header")
    writer.walk(body)
    writer.flush_list()
    writer.furniture(body, "footer")
    writer.notes("footnotes", "")
    writer.notes("endnotes", "e")
    return builder.build()


class DocxBackend:
    formats = ("docx",)

    def parse(self, request: ParseRequest) -> Document:
        return parse_docx(request, "docx")
