"""EPUB: ``META-INF/container.xml`` → the OPF package → its spine; each chapter a Page.

Real books bend the rules, so the reader is lenient: spine hrefs may carry ``#fragments`` (the same
file listed many times is read once), and a whole book may sit under a folder of the zip with the
container's paths relative to that folder. A chapter is labelled with its first heading.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.html_blocks import Block, html_blocks, split_at_breaks

_CONTAINER = "META-INF/container.xml"
_HTML_TYPES = {"application/xhtml+xml", "text/html", "application/x-dtbook+xml"}
_HTML_SUFFIXES = (".xhtml", ".html", ".htm", ".xml")


@dataclass
class Package:
    title: str | None
    chapters: list[str]  # zip member names in reading order


def _xml(data: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=True)
    root = etree.fromstring(data, parser=parser)
    if root is None:
        raise ValueError("empty XML")
    return root


class _Members:
    """Zip member lookup that forgives case differences, as some e-readers do."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.names = [n for n in archive.namelist() if not n.endswith("/")]
        self._exact = set(self.names)
        self._folded = {n.lower(): n for n in self.names}

    def find(self, name: str) -> str | None:
        if name in self._exact:
            return name
        return self._folded.get(name.lower())


def _package_path(archive: zipfile.ZipFile, members: _Members) -> str:
    containers = [_CONTAINER, *sorted((n for n in members.names if n.endswith("/" + _CONTAINER)), key=len)]
    for container in containers:
        found = members.find(container)
        if found is None:
            continue
        prefix = found[: -len(_CONTAINER)]
        try:
            root = _xml(archive.read(found))
        except Exception:
            continue
        for rootfile in root.xpath("//*[local-name()='rootfile']/@full-path"):
            for candidate in (prefix + rootfile, rootfile):
                opf = members.find(posixpath.normpath(candidate))
                if opf is not None:
                    return opf
    opfs = sorted((n for n in members.names if n.lower().endswith(".opf")), key=len)
    if opfs:
        return opfs[0]
    raise ParseFailed("not an EPUB: the zip holds no META-INF/container.xml and no .opf package file")


def read_package(archive: zipfile.ZipFile) -> Package:
    members = _Members(archive)
    opf_path = _package_path(archive, members)
    try:
        opf = _xml(archive.read(opf_path))
    except Exception as exc:
        raise ParseFailed(f"unreadable EPUB package file {opf_path}: {exc}") from exc
    base = posixpath.dirname(opf_path)
    manifest: dict[str, tuple[str, str]] = {}
    for item in opf.xpath("//*[local-name()='manifest']/*[local-name()='item']"):
        href = unquote((item.get("href") or "").split("#", 1)[0])
        if href:
            manifest[item.get("id") or ""] = (
                posixpath.normpath(posixpath.join(base, href)),
                item.get("media-type") or "",
            )
    order = [
        manifest[i]
        for i in opf.xpath("//*[local-name()='spine']/*[local-name()='itemref']/@idref")
        if i in manifest
    ]
    if not order:  # no usable spine: fall back to the manifest's own order
        order = list(manifest.values())
    chapters: dict[str, None] = {}  # ordered, and a set: a spine may list one file a million times
    for path, media_type in order:
        if media_type not in _HTML_TYPES and not path.lower().endswith(_HTML_SUFFIXES):
            continue
        member = members.find(path)
        if member is not None:
            chapters.setdefault(member)
    titles = opf.xpath("//*[local-name()='metadata']/*[local-name()='title']")
    title = " ".join(titles[0].xpath("string()").split()) if titles else None
    return Package(title=title or None, chapters=list(chapters))


def _label(blocks: list[Block]) -> str | None:
    """The first heading; failing that (MOBI6 has no heading markup), the first line of text."""
    heading = next((b.text for b in blocks if b.kind == "heading"), None)
    if heading:
        return heading
    lines = (b.text.strip().split("\n")[0] for b in blocks if b.kind == "paragraph")
    # skip bare paragraph numbers and rules: a label needs a word
    line = next((text for text in lines if any(c.isalpha() for c in text)), None)
    if line is None:
        return None
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def write_chapter(builder: DocumentBuilder, blocks: list[Block], fallback_label: str) -> None:
    """One chapter's blocks as one or more pages (MOBI page breaks cut it), each labelled."""
    for run in split_at_breaks(blocks):
        builder.start_page(label=_label(run) or fallback_label)
        for block in run:
            if block.kind == "heading":
                builder.heading(block.level, block.text)
            elif block.kind == "table":
                builder.table(block.rows)
            else:
                builder.paragraph(block.text)


def parse_epub(path: Path, fmt: str) -> Document:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseFailed(f"not an EPUB: the file is not a readable zip archive ({exc})") from exc
    with archive:
        package = read_package(archive)
        if not package.chapters:
            raise ParseFailed("EPUB holds no readable (X)HTML chapters")
        builder = DocumentBuilder(fmt, title=package.title)
        for member in package.chapters:
            try:
                chapter = html_blocks(archive.read(member))
            except Exception as exc:
                builder.start_page(label=posixpath.basename(member))
                builder.error(f"chapter {member} could not be read: {exc}")
                continue
            write_chapter(builder, chapter.blocks, chapter.title or posixpath.basename(member))
        return builder.build()


class EpubBackend:
    formats = ("epub",)

    def parse(self, request: ParseRequest) -> Document:
        return parse_epub(request.path, "epub")
