"""parse_isolated: the same Document as in-process, limits that end in clear reasons, low overhead."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from longdoc.config import ParsingSettings
from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing import parse_isolated, parse_path
from longdoc.parsing.isolation import ExitCode, _outcome

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
SCANNED = DOCUMENTS / "R-intro.p12-14.scanned.pdf"


def test_same_document_as_in_process() -> None:
    for name in ("R-intro.p12-14.pdf", "nodejs-api-url.md", "distro-info-debian.csv"):
        path = DOCUMENTS / name
        assert parse_isolated(path, filename=name) == parse_path(path, filename=name)


def test_overhead_is_small() -> None:
    path = DOCUMENTS / "distro-info-debian.csv"
    parse_isolated(path)  # warm the file cache
    started = time.perf_counter()
    for _ in range(3):
        parse_isolated(path)
    per_parse = (time.perf_counter() - started) / 3
    assert per_parse < 1.5, f"a child process costs {per_parse:.2f} s"


def test_parallel_calls_from_threads() -> None:
    results: dict[str, object] = {}

    def run(name: str) -> None:
        results[name] = parse_isolated(DOCUMENTS / name, filename=name).format

    threads = [threading.Thread(target=run, args=(n,)) for n in ("iso_3166-1.json", "distro-info-debian.csv")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"iso_3166-1.json": "json", "distro-info-debian.csv": "csv"}


def test_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * (300 * 1024 * 1024))
    with pytest.raises(ParseFailed) as failed:
        parse_isolated(path, settings=ParsingSettings(memory_mb=400))
    assert failed.value.message == "parsing ran out of memory (limit 400 MiB)"


def test_ocr_runs_under_the_default_memory_limit() -> None:
    """onnxruntime reserves much address space; the default limit must leave it room."""
    doc = parse_isolated(DOCUMENTS / "lo-tip-formdocuments.png")
    assert "Radio Button" in doc.text


def test_ocr_out_of_memory_is_reported_as_such() -> None:
    with pytest.raises(ParseFailed) as failed:
        parse_isolated(DOCUMENTS / "R-intro.p12.png", settings=ParsingSettings(memory_mb=1024))
    assert failed.value.message == "parsing ran out of memory (limit 1024 MiB)"


def test_wall_clock_limit() -> None:
    started = time.monotonic()
    with pytest.raises(ParseFailed) as failed:
        parse_isolated(SCANNED, settings=ParsingSettings(wall_seconds=1))
    assert failed.value.message == "parsing took longer than 1 s"
    assert time.monotonic() - started < 10


def test_cpu_limit() -> None:
    with pytest.raises(ParseFailed) as failed:
        parse_isolated(SCANNED, strategy=ParsingStrategy.AUTO, settings=ParsingSettings(cpu_seconds=1))
    assert failed.value.message == "parsing used more than 1 s of CPU time"


def test_crash_and_unknown_exit_are_reported(tmp_path: Path) -> None:
    settings = ParsingSettings()
    log = tmp_path / "child.log"
    log.write_text("Fatal Python error: Segmentation fault\n")
    with pytest.raises(ParseFailed) as crashed:
        _outcome(-11, tmp_path / "none.json", log, settings)
    assert crashed.value.message == (
        "the parser crashed (SIGSEGV): the file may be damaged, or need more memory than the limit (3072 MiB)"
    )
    with pytest.raises(ParseFailed) as failed:
        _outcome(1, tmp_path / "none.json", log, settings)
    assert failed.value.message == "the parser failed (exit code 1): Fatal Python error: Segmentation fault"
    assert ExitCode.DOCUMENT == 0
