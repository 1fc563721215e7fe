"""DOC and PPT through LibreOffice: conversion, the missing-LibreOffice message, the time limit."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from longdoc.config import ParsingSettings
from longdoc.core.errors import ParseFailed
from longdoc.parsing import parse_isolated
from longdoc.parsing.base import ParseRequest
from longdoc.parsing.docx_backend import DocxBackend
from longdoc.parsing.legacy_office import DocBackend, PptBackend
from longdoc.parsing.pptx_backend import PptxBackend

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"


def needs_libreoffice() -> None:
    if shutil.which(ParsingSettings().libreoffice) is None:
        pytest.skip("LibreOffice not installed")


@pytest.mark.parametrize(("backend", "name", "label"), [(DocBackend, "officer-example.doc", "DOC"),
                                                        (PptBackend, "officer-example.ppt", "PPT")])  # fmt: skip
def test_missing_libreoffice_is_a_clear_parse_failure(backend: type, name: str, label: str) -> None:
    settings = ParsingSettings(libreoffice="/nonexistent/soffice")
    with pytest.raises(ParseFailed) as failure:
        backend().parse(ParseRequest(path=DOCUMENTS / name, settings=settings))
    assert failure.value.message == f"{label} support needs LibreOffice (soffice) on the server"


def test_a_hung_conversion_is_stopped(tmp_path: Path) -> None:
    # a stand-in "soffice" that never finishes, to exercise the time limit and the group kill
    hung = tmp_path / "soffice"
    hung.write_text("#!/bin/sh\nsleep 60 &\nwait\n")
    hung.chmod(0o755)
    settings = ParsingSettings(libreoffice=str(hung), libreoffice_seconds=1)
    with pytest.raises(ParseFailed, match="LibreOffice took longer than 1 s"):
        DocBackend().parse(ParseRequest(path=DOCUMENTS / "officer-example.doc", settings=settings))


def test_a_failed_conversion_says_so(tmp_path: Path) -> None:
    broken = tmp_path / "soffice"
    broken.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    broken.chmod(0o755)
    settings = ParsingSettings(libreoffice=str(broken))
    with pytest.raises(
        ParseFailed, match=r"LibreOffice could not convert this DOC file \(Error: source file"
    ):
        DocBackend().parse(ParseRequest(path=DOCUMENTS / "officer-example.doc", settings=settings))


@pytest.mark.libreoffice
def test_doc_reads_like_the_docx_it_came_from() -> None:
    needs_libreoffice()
    doc = DocBackend().parse(ParseRequest(path=DOCUMENTS / "officer-example.doc"))
    docx = DocxBackend().parse(ParseRequest(path=DOCUMENTS / "officer-example.docx"))
    assert doc.format == "doc"
    assert doc.text == docx.text
    assert doc.headings == docx.headings


@pytest.mark.libreoffice
def test_ppt_keeps_slides_and_tables_and_leaves_no_temp_files(tmp_path: Path, monkeypatch) -> None:
    needs_libreoffice()
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # make tempfile read TMPDIR again
    ppt = PptBackend().parse(ParseRequest(path=DOCUMENTS / "officer-example.ppt"))
    pptx = PptxBackend().parse(ParseRequest(path=DOCUMENTS / "officer-example.pptx"))
    assert ppt.format == "ppt"
    assert [p.label for p in ppt.pages] == [p.label for p in pptx.pages]
    assert len(ppt.tables) == len(pptx.tables) == 2
    assert "| A | 12.23 | blah blah |" in ppt.text
    assert os.listdir(tmp_path) == []


def test_a_conversion_ends_with_its_parse(tmp_path: Path) -> None:
    """LibreOffice runs in a process group of its own; a parse that runs out of time still ends it."""
    pid_file = tmp_path / "helper.pid"
    hung = tmp_path / "soffice"
    hung.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pid_file}\nwait\n")
    hung.chmod(0o755)
    settings = ParsingSettings(
        libreoffice=str(hung), libreoffice_seconds=600, budget_base_seconds=4, budget_seconds_per_mb=0
    )
    with pytest.raises(ParseFailed, match=r"^parsing took longer than 4 s for a file of 24,064 bytes$"):
        parse_isolated(DOCUMENTS / "officer-example.doc", settings=settings)
    helper = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _running(helper):
        assert time.monotonic() < deadline, "the helper outlived the parse"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie is dead, waiting for init to reap it
