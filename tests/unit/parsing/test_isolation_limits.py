"""parse_isolated: the same Document as in-process, limits that grow with the file and end in clear
reasons, low overhead, and a child that ends when asked to or when its parent dies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from longdoc.config import MB, ParsingSettings
from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing import parse_isolated, parse_path
from longdoc.parsing.isolation import (
    WORK_PREFIX,
    ExitCode,
    ParseInterrupted,
    _check,
    sweep_orphaned_work_folders,
    time_limits,
)
from support.processes import PARSE_CHILD, running, wait_for_child

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
    assert failed.value.message == "parsing took longer than 1 s for a file of 476,113 bytes"
    assert time.monotonic() - started < 10


def test_cpu_limit() -> None:
    with pytest.raises(ParseFailed) as failed:
        parse_isolated(SCANNED, strategy=ParsingStrategy.AUTO, settings=ParsingSettings(cpu_seconds=1))
    assert failed.value.message == "parsing took longer than 1 s of CPU time for a file of 476,113 bytes"


def test_time_limits_grow_with_the_file_up_to_the_caps() -> None:
    settings = ParsingSettings(
        budget_base_seconds=10, budget_seconds_per_mb=4, cpu_seconds=100, wall_seconds=50
    )
    small, large = time_limits(settings, 512 * 1024), time_limits(settings, 100 * MB)
    assert (small.cpu_seconds, small.wall_seconds) == (12, 12)
    assert (large.cpu_seconds, large.wall_seconds) == (100, 50)


def test_a_small_file_gets_a_small_budget() -> None:
    """The scanned PDF (0.45 MB) needs OCR for well over 3 s; a budget of 1 s + 2 s/MB stops it."""
    settings = ParsingSettings(budget_base_seconds=1, budget_seconds_per_mb=2)
    started = time.monotonic()
    with pytest.raises(
        ParseFailed, match=r"^parsing took longer than 2 s (of CPU time )?for a file of 476,113 bytes$"
    ):
        parse_isolated(SCANNED, settings=settings)
    assert time.monotonic() - started < 10


def test_stop_ends_the_child_at_once_and_says_so(tmp_path: Path) -> None:
    stop = threading.Event()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            parse_isolated(SCANNED, settings=ParsingSettings(), stop=stop)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    child = wait_for_child(os.getpid(), PARSE_CHILD)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ParseInterrupted)
    assert not running(child)


def test_the_child_dies_with_its_parent(tmp_path: Path) -> None:
    """A parent killed outright (no chance to clean up) takes its parse child with it."""
    script = (
        "import sys; from pathlib import Path; from longdoc.parsing import parse_isolated\n"
        "parse_isolated(Path(sys.argv[1]))\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(SCANNED)])
    try:
        child = wait_for_child(parent.pid, PARSE_CHILD)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 5
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(child)


def test_crash_and_unknown_exit_are_reported(tmp_path: Path) -> None:
    settings = ParsingSettings()
    log = tmp_path / "child.log"
    log.write_text("Fatal Python error: Segmentation fault\n")
    with pytest.raises(ParseFailed) as crashed:
        _check(-11, tmp_path / "none.json", log, settings, 1)
    assert crashed.value.message == (
        "the parser crashed (SIGSEGV): the file may be damaged, or need more memory than the limit (3072 MiB)"
    )
    with pytest.raises(ParseFailed) as failed:
        _check(1, tmp_path / "none.json", log, settings, 1)
    assert failed.value.message == "the parser failed (exit code 1): Fatal Python error: Segmentation fault"
    assert ExitCode.DOCUMENT == 0


def test_work_folders_of_processes_that_are_gone_are_swept(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(finished.stdout)
    orphan = tmp_path / f"{WORK_PREFIX}{dead}-abc123"
    mine = tmp_path / f"{WORK_PREFIX}{os.getpid()}-def456"
    unrelated = tmp_path / f"{WORK_PREFIX}notapid"
    for folder in (orphan, mine, unrelated):
        folder.mkdir()
        (folder / "document.json").write_text("{}")
    assert sweep_orphaned_work_folders(tmp_path) == 1
    assert not orphan.exists() and mine.exists() and unrelated.exists()
