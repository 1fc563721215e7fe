"""MOBI (MOBI6, KF8 and joint MOBI6+KF8 files): unpacked to EPUB or HTML, then read as such.

The unpacker is libmobi's ``mobitool`` (Debian ``libmobi-tools``, LGPL-3+), run as a separate
process (not the GPL-3-only PyPI ``mobi`` package, which would bind the service's licence). It
writes an EPUB for every MOBI flavour; MOBI6 text comes as one HTML file, whose
``<mbp:pagebreak/>`` marks cut it into pages.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import DocumentBuilder, ParseRequest
from longdoc.parsing.epub_backend import parse_epub, write_chapter
from longdoc.parsing.html_blocks import html_blocks

_UNPACK_SECONDS = 120


def header_title(path: Path) -> str | None:
    """The book's full title from the MOBI header of record 0, if it is readable."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(86)
            if len(head) < 86 or head[60:68] not in (b"BOOKMOBI", b"TEXtREAd"):
                return None
            (record0,) = struct.unpack(">I", head[78:82])
            stream.seek(record0)
            record = stream.read(96)
            if record[16:20] != b"MOBI":
                return None
            (encoding,) = struct.unpack(">I", record[28:32])
            offset, length = struct.unpack(">II", record[84:92])
            stream.seek(record0 + offset)
            raw = stream.read(min(length, 1024))
    except (OSError, struct.error):
        return None
    title = raw.decode("utf-8" if encoding == 65001 else "cp1252", "replace").strip()
    return title or None


def _unpack_with_mobitool(executable: str, source: Path, out: Path) -> Path:
    try:
        run = subprocess.run(
            [executable, "-e", "-o", str(out), str(source)],
            capture_output=True,
            timeout=_UNPACK_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ParseFailed(f"unpacking this MOBI took longer than {_UNPACK_SECONDS} s") from None
    epubs = sorted(out.glob("*.epub"))
    if not epubs:
        detail = " ".join(run.stdout.decode("utf-8", "replace").split())[-300:]
        raise ParseFailed(f"not a readable MOBI file (mobitool: {detail or f'exit code {run.returncode}'})")
    return epubs[0]


def _parse_html_book(path: Path) -> Document:
    book = html_blocks(path.read_bytes())
    builder = DocumentBuilder("mobi", title=book.title)
    write_chapter(builder, book.blocks, book.title or "Part")
    return builder.build()


class MobiBackend:
    formats = ("mobi",)

    def parse(self, request: ParseRequest) -> Document:
        with tempfile.TemporaryDirectory(prefix="longdoc-mobi-") as tmp:
            out = Path(tmp)
            # a fixed name: the unpackers name their output after the input
            source = out / "book.mobi"
            shutil.copyfile(request.path, source)
            executable = shutil.which(request.settings.mobitool)
            if executable is None:
                raise ParseFailed("MOBI support needs mobitool (Debian package libmobi-tools) on the server")
            unpacked = _unpack_with_mobitool(executable, source, out)
            if unpacked.suffix.lower() == ".epub":
                document = parse_epub(unpacked, "mobi")
            else:
                document = _parse_html_book(unpacked)
            # the header's title: the unpacked book does not always carry it
            title = header_title(source) or document.title
            return document.model_copy(update={"title": title})
