"""What every child process of longdoc's shares: how it is started, named when it dies, and stopped.

Parsing and the embedded model run in children so that a crash in native code (a PDF library,
llama.cpp) ends only the child; both need the same environment and the same words for a death.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import BinaryIO

import longdoc


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment, with ``PYTHONPATH`` set so the child imports this same longdoc."""
    env = {**os.environ, **extra}
    source_root = str(Path(longdoc.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH", "")) if p)
    return env


def spawn_module(module: str, request: Path, work: Path, log: BinaryIO, **env: str) -> subprocess.Popen[bytes]:
    """Start ``python -m module request`` in ``work``, its output into ``log``, in its own session
    and process group so that a kill reaches any helper it starts. ``env`` adds variables."""
    return subprocess.Popen(
        [sys.executable, "-m", module, str(request)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=work,
        # glibc reserves 64 MiB of address space per thread arena, which RLIMIT_AS counts; a few
        # arenas are plenty for one child and leave the limit to real use
        env=child_environment(MALLOC_ARENA_MAX="2", **env),
        start_new_session=True,
    )


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def describe_exit(returncode: int) -> str:
    """A process's end in words: "signal 11, SIGSEGV" or "exit code 1"."""
    if returncode < 0:
        return f"signal {-returncode}, {signal_name(-returncode)}"
    return f"exit code {returncode}"


def await_child(child: subprocess.Popen[bytes], seconds: float, stop: threading.Event) -> int | None:
    """The child's exit code, or None once ``stop`` is set first (checked five times a second);
    TimeoutError past ``seconds``. Killing what is left is the caller's."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return int(child.wait(timeout=max(0.0, min(0.2, deadline - time.monotonic()))))
        except subprocess.TimeoutExpired:
            pass
        if stop.is_set():
            return None
        if time.monotonic() >= deadline:
            raise TimeoutError(f"the child ran longer than {seconds:.0f} s")


def kill_group(pid: int) -> None:
    """SIGKILL a child started with ``start_new_session=True`` and every helper it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def process_exists(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, and is another user's
    return True
