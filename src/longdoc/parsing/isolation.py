"""A parse in a child process with memory, CPU and wall-clock limits.

A hostile or broken file can exhaust, crash or hang its own child, never the caller. The child
(``longdoc.parsing.child``) writes its result to a file in a private temporary folder, so a
large Document never passes through a pipe that could fill up and deadlock. Safe to call from
several threads at once.

The time limits grow with the file (``ParsingSettings.budget_*``), so a small file cannot hold a
worker for minutes. The child dies with the process that started it, and ``stop`` ends it early
(the server is stopping: the parse is to be retried later, not failed).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import BinaryIO

from longdoc.config import MB, ParsingSettings
from longdoc.core.documents import Document, ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.core.processes import await_child, kill_group, process_exists, signal_name, spawn_module
from longdoc.parsing.safety import size_text

_STDERR_TAIL = 2000


CHILD_MODULE = "longdoc.parsing.child"
WORK_PREFIX = "longdoc-parse-"  # then the parsing process's pid: a folder whose process is gone is litter


def sweep_orphaned_work_folders(root: Path | None = None) -> int:
    """Remove the parse work folders of processes that no longer run (killed before they could
    clean up); returns how many. Folders of live processes are theirs, and left alone."""
    removed = 0
    for folder in Path(root or tempfile.gettempdir()).glob(f"{WORK_PREFIX}*-*"):
        owner = folder.name.removeprefix(WORK_PREFIX).split("-", 1)[0]
        if not owner.isdigit() or process_exists(int(owner)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


class ExitCode(IntEnum):
    """What the child's exit code says its output file holds."""

    DOCUMENT = 0  # the Document as JSON
    FAILED = 2  # the reason, as UTF-8 text
    OUT_OF_MEMORY = 3  # nothing could be written


class ParseInterrupted(Exception):
    """The parse was stopped from outside (``stop`` was set); the file's parse is still owed."""


def time_limits(settings: ParsingSettings, size: int) -> ParsingSettings:
    """``settings`` with the CPU and wall-clock limits a file of ``size`` bytes gets: the base plus
    the per-MB part, each capped by ``cpu_seconds`` / ``wall_seconds``."""
    allowed = math.ceil(settings.budget_base_seconds + settings.budget_seconds_per_mb * size / MB)
    return settings.model_copy(
        update={
            "cpu_seconds": min(settings.cpu_seconds, allowed),
            "wall_seconds": min(settings.wall_seconds, allowed),
        }
    )


def parse_isolated(
    path: Path,
    *,
    strategy: ParsingStrategy = ParsingStrategy.AUTO,
    filename: str | None = None,
    settings: ParsingSettings | None = None,
    stop: threading.Event | None = None,
) -> Document:
    """``parse_path`` in a child process; every way the child can fail becomes ``ParseFailed``.

    Raises ``ParseInterrupted`` (the child killed) when ``stop`` is set before the parse ends.
    """
    with isolated_parse(path, strategy=strategy, filename=filename, settings=settings, stop=stop) as output:
        try:
            return Document.model_validate_json(output.read_bytes())
        except ValueError as exc:
            raise ParseFailed(f"the parser's result could not be read: {exc}") from exc


@contextmanager
def isolated_parse(
    path: Path,
    *,
    strategy: ParsingStrategy = ParsingStrategy.AUTO,
    filename: str | None = None,
    settings: ParsingSettings | None = None,
    stop: threading.Event | None = None,
    module: str = CHILD_MODULE,
    extra: dict[str, object] | None = None,
) -> Iterator[Path]:
    """Run ``module`` (``longdoc.parsing.child`` or a module that runs it with more work after the
    parse) on ``path`` in a child with limits, and yield the Document JSON it wrote. Whatever else
    the child wrote is beside it; the folder is removed on leaving. ``extra`` goes into the child's
    request. Failures and ``stop`` raise as ``parse_isolated`` says."""
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        raise ParseFailed(f"the file cannot be read: {exc.strerror or exc}") from exc
    limited = time_limits(settings or ParsingSettings(), size)
    with tempfile.TemporaryDirectory(prefix=f"{WORK_PREFIX}{os.getpid()}-") as folder:
        work = Path(folder)
        output = work / "document.json"
        request = work / "request.json"
        request.write_text(
            json.dumps(
                {
                    **(extra or {}),
                    "path": str(Path(path).resolve()),
                    "strategy": ParsingStrategy(strategy).value,
                    "filename": filename,
                    "settings": limited.model_dump(mode="json"),
                    "output": str(output),
                    "parent": os.getpid(),
                }
            ),
            encoding="utf-8",
        )
        log = work / "child.log"
        with log.open("wb") as log_file:
            code = _run_child(module, request, work, log_file, limited, size, stop or threading.Event())
        _check(code, output, log, limited, size)
        yield output


def _run_child(
    module: str,
    request: Path,
    work: Path,
    log_file: BinaryIO,
    settings: ParsingSettings,
    size: int,
    stop: threading.Event,
) -> int:
    child = spawn_module(module, request, work, log_file)
    try:
        code = await_child(child, settings.wall_seconds, stop)
    except TimeoutError:
        raise ParseFailed(
            f"parsing took longer than {settings.wall_seconds} s for a file of {size_text(size)}"
        ) from None
    else:
        if code is None:
            raise ParseInterrupted("the parse was stopped before it finished")
        return code
    finally:
        _kill_session(child.pid)  # on a timeout or stop; else helpers (e.g. LibreOffice) left behind
        if child.poll() is None:
            child.wait()


def _kill_session(session: int) -> None:
    """SIGKILL every process of the child's session: its own group, and the helpers that run in a
    group of their own so that they can be stopped alone (LibreOffice)."""
    kill_group(session)
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:
        return  # no procfs: the group kill is all there is
    for entry in entries:
        try:
            # after the command name: state, ppid, process group, session, …
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3]) == session
            ):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or not ours to kill


def _check(code: int, output: Path, log: Path, settings: ParsingSettings, size: int) -> None:
    """Raise ``ParseFailed`` saying why, unless the child wrote its Document."""
    if code == ExitCode.DOCUMENT and output.exists():
        return
    if code == ExitCode.FAILED and output.exists():
        raise ParseFailed(output.read_text(encoding="utf-8"))
    if code == ExitCode.OUT_OF_MEMORY:
        raise ParseFailed(f"parsing ran out of memory (limit {settings.memory_mb} MiB)")
    if code == -signal.SIGXCPU:
        raise ParseFailed(
            f"parsing took longer than {settings.cpu_seconds} s of CPU time for a file of {size_text(size)}"
        )
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
