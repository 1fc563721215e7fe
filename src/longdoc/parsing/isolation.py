"""A parse in a child process with memory, CPU and wall-clock limits.

A hostile or broken file can exhaust, crash or hang its own child, never the caller. The child
(``longdoc.parsing.child``) writes its result to a file in a private temporary folder, so a
large Document never passes through a pipe that could fill up and deadlock. Safe to call from
several threads at once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from enum import IntEnum
from pathlib import Path
from typing import BinaryIO

from longdoc.config import ParsingSettings
from longdoc.core.documents import Document, ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.core.processes import child_environment, kill_group, signal_name

_STDERR_TAIL = 2000


class ExitCode(IntEnum):
    """What the child's exit code says its output file holds."""

    DOCUMENT = 0  # the Document as JSON
    FAILED = 2  # the reason, as UTF-8 text
    OUT_OF_MEMORY = 3  # nothing could be written


def parse_isolated(
    path: Path,
    *,
    strategy: ParsingStrategy = ParsingStrategy.AUTO,
    filename: str | None = None,
    settings: ParsingSettings | None = None,
) -> Document:
    """``parse_path`` in a child process; every way the child can fail becomes ``ParseFailed``."""
    settings = settings or ParsingSettings()
    with tempfile.TemporaryDirectory(prefix="longdoc-parse-") as folder:
        work = Path(folder)
        output = work / "document.json"
        request = work / "request.json"
        request.write_text(
            json.dumps(
                {
                    "path": str(Path(path).resolve()),
                    "strategy": ParsingStrategy(strategy).value,
                    "filename": filename,
                    "settings": settings.model_dump(mode="json"),
                    "output": str(output),
                }
            ),
            encoding="utf-8",
        )
        log = work / "child.log"
        with log.open("wb") as log_file:
            code = _run_child(request, work, log_file, settings)
        return _outcome(code, output, log, settings)


def _run_child(request: Path, work: Path, log_file: BinaryIO, settings: ParsingSettings) -> int:
    child = subprocess.Popen(
        [sys.executable, "-m", "longdoc.parsing.child", str(request)],
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        cwd=work,
        # glibc reserves 64 MiB of address space per thread arena, which RLIMIT_AS counts; a few
        # arenas are plenty for one parse and leave the limit to real use
        env=child_environment(MALLOC_ARENA_MAX="2"),
        start_new_session=True,  # its own process group: a kill reaches any helper it started
    )
    try:
        return int(child.wait(timeout=settings.wall_seconds))
    except subprocess.TimeoutExpired:
        kill_group(child.pid)
        child.wait()
        raise ParseFailed(f"parsing took longer than {settings.wall_seconds} s") from None
    finally:
        kill_group(child.pid)  # helpers (e.g. LibreOffice) left behind by a finished child
        if child.poll() is None:
            child.wait()


def _outcome(code: int, output: Path, log: Path, settings: ParsingSettings) -> Document:
    if code == ExitCode.DOCUMENT and output.exists():
        try:
            return Document.model_validate_json(output.read_bytes())
        except ValueError as exc:
            raise ParseFailed(f"the parser's result could not be read: {exc}") from exc
    if code == ExitCode.FAILED and output.exists():
        raise ParseFailed(output.read_text(encoding="utf-8"))
    if code == ExitCode.OUT_OF_MEMORY:
        raise ParseFailed(f"parsing ran out of memory (limit {settings.memory_mb} MiB)")
    if code == -signal.SIGXCPU:
        raise ParseFailed(f"parsing used more than {settings.cpu_seconds} s of CPU time")
    if code < 0:
        raise ParseFailed(
            f"the parser crashed ({signal_name(-code)}): the file may be damaged, or need more memory than the "
            f"limit ({settings.memory_mb} MiB)"
        )
    raise ParseFailed(f"the parser failed (exit code {code}): {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        data = log.read_bytes()[-_STDERR_TAIL:]
    except OSError:
        return "no output"
    lines = [line for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
