"""The parse child process: ``python -m longdoc.parsing.child REQUEST.json``.

It first arranges to die with its parent and limits its own address space and CPU time, then
parses, and writes the outcome to the output file named in the request; the exit code
(``isolation.ExitCode``) says what it holds. All this is done here rather than in a
``preexec_fn`` because the parent may be a threaded server, where ``preexec_fn`` is unsafe.

A layer above parsing can run more work on the parsed Document in the same child, under the
same limits (``run(argv, after=…)`` from its own ``__main__``): whatever it writes lands in the
work folder beside the Document.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from longdoc.parsing.isolation import ExitCode

if TYPE_CHECKING:
    from longdoc.core.documents import Document

# More work on the parsed Document in the child: (document, the request, the work folder).
AfterParse = Callable[["Document", dict[str, object], Path], None]

MIB = 1024 * 1024
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def run(argv: list[str], after: AfterParse | None = None) -> NoReturn:
    """The child's whole life: ``main``, then exit at once with its code."""
    code = main(argv, after)
    sys.stdout.flush()
    sys.stderr.flush()
    # skip interpreter teardown: native libraries' destructors add time and can crash on exit
    os._exit(code)


def main(argv: list[str], after: AfterParse | None = None) -> int:
    request = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    die_with_parent(request["parent"])
    settings = request["settings"]
    limit_self(settings["memory_mb"], settings["cpu_seconds"])
    output = Path(request["output"])
    try:
        return _parse(request, output, after)
    except MemoryError:
        return ExitCode.OUT_OF_MEMORY


def _parse(request: dict[str, object], output: Path, after: AfterParse | None) -> int:
    from PIL import Image

    from longdoc.config import ParsingSettings
    from longdoc.core.documents import ParsingStrategy
    from longdoc.core.errors import ParseFailed
    from longdoc.parsing.pipeline import parse_path

    settings = ParsingSettings.model_validate(request["settings"])
    # this process parses one file and exits, so Pillow's process-wide limit can be ours
    Image.MAX_IMAGE_PIXELS = settings.image_max_pixels
    try:
        document = parse_path(
            Path(str(request["path"])),
            strategy=ParsingStrategy(str(request["strategy"])),
            filename=None if request["filename"] is None else str(request["filename"]),
            settings=settings,
        )
    except ParseFailed as exc:
        return _write(output, exc.message, ExitCode.FAILED)
    except RecursionError:
        return _write(output, "the file is nested too deeply to parse", ExitCode.FAILED)
    except MemoryError:
        raise
    except ImportError as exc:
        # the loader cannot map a native library into the remaining address space
        if "failed to map segment" in str(exc):
            raise MemoryError(str(exc)) from exc
        return _write(output, f"the parser failed: ImportError: {exc}", ExitCode.FAILED)
    except Exception as exc:  # a backend bug or a library choking on the file: report, don't hide
        return _write(output, f"the parser failed: {type(exc).__name__}: {exc}", ExitCode.FAILED)
    if after is not None:
        try:
            after(document, request, output.parent)
        except MemoryError:
            raise
        except Exception as exc:
            return _write(
                output, f"preparing the parsed text failed: {type(exc).__name__}: {exc}", ExitCode.FAILED
            )
    return _write(output, document.model_dump_json(), ExitCode.DOCUMENT)


def _write(output: Path, content: str, code: ExitCode) -> int:
    partial = output.with_suffix(".partial")
    partial.write_text(content, encoding="utf-8")
    partial.replace(output)
    return code


def die_with_parent(parent: int) -> None:
    """Be killed when the process that started this one ends (Linux), so that a server that stops
    or crashes leaves no parse running on as an orphan until its CPU limit. (The signal comes when
    the starting *thread* ends; that thread waits for this process, so it is the same.)"""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        return  # not fatal: the parse still has its time limits
    if os.getppid() != parent:
        os._exit(1)  # the parent ended before the signal was armed


def limit_self(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # the soft limit sends SIGXCPU (the parent reports it); the hard one is a backstop
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))


if __name__ == "__main__":
    run(sys.argv)
