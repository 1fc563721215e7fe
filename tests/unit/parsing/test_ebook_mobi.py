"""MOBI backend: KF8 and MOBI6, both unpackers, page breaks, cleanup, failures."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from longdoc.config import ParsingSettings
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import ParseRequest
from longdoc.parsing.mobi_backend import MobiBackend, header_title

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
KF8 = DOCUMENTS / "debian-edu-manual.zh-cn.part.kf8.mobi"
MOBI6 = DOCUMENTS / "debian-edu-manual.zh-cn.part.mobi6.mobi"
CORPUS_KF8 = Path("/work/shared/corpus/ebook/debian-edu-manual.zh-cn.kf8.mobi")
WITHOUT_MOBITOOL = ParsingSettings(mobitool="/nonexistent/mobitool")


def parse(path: Path, settings: ParsingSettings | None = None) -> object:
    return MobiBackend().parse(ParseRequest(path=path, settings=settings or ParsingSettings()))


def needs_mobitool() -> None:
    if shutil.which("mobitool") is None:
        pytest.skip("mobitool (Debian libmobi-tools) not installed")


def test_kf8_chapters_become_pages() -> None:
    needs_mobitool()
    doc = parse(KF8)
    assert doc.format == "mobi" and doc.title == "Debian Edu / Skolelinux 12 Bookworm 手册"
    assert [p.label for p in doc.pages][:4] == [
        "Debian Edu / Skolelinux 12 Bookworm 手册",
        "关于 Debian Edu 和 Skolelinux",
        "结构",
        "需求",
    ]
    assert (1, "需求") in [(h.level, h.text) for h in doc.headings]
    assert len(doc.tables) == 1


def test_mobi6_page_breaks_cut_pages() -> None:
    needs_mobitool()
    doc = parse(MOBI6)
    # MOBI6 is one HTML stream: pages come from its <mbp:pagebreak/> marks, labels from first lines
    assert len(doc.pages) == 5
    assert doc.pages[3].label == "需求"
    assert "LTSP 服务器：40 GiB。" in doc.page_text(doc.pages[3])


def test_temporary_files_are_removed(tmp_path: Path, monkeypatch) -> None:
    needs_mobitool()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    parse(KF8)
    parse(MOBI6)
    assert list(tmp_path.iterdir()) == []


def test_without_mobitool_the_reason_is_clear() -> None:
    with pytest.raises(ParseFailed, match=r"MOBI support needs mobitool \(Debian package libmobi-tools\)"):
        parse(KF8, WITHOUT_MOBITOOL)


def test_not_a_mobi(tmp_path: Path) -> None:
    needs_mobitool()
    bad = tmp_path / "bad.mobi"
    bad.write_bytes(b"\0" * 60 + b"BOOKMOBI" + b"\0" * 200)
    with pytest.raises(ParseFailed, match="not a readable MOBI file"):
        parse(bad)


def test_header_title() -> None:
    assert header_title(KF8) == "Debian Edu / Skolelinux 12 Bookworm 手册"
    assert header_title(DOCUMENTS / "officer-example.doc") is None


def test_full_size_joint_kf8_from_the_corpus() -> None:
    if not CORPUS_KF8.exists():
        pytest.skip("shared corpus not present")
    needs_mobitool()
    doc = parse(CORPUS_KF8)
    assert len(doc.pages) >= 27 and len(doc.headings) > 150 and doc.errors == []
