"""Finding a process's children by what they run, and telling whether a process still runs (/proc)."""

from __future__ import annotations

import time
from pathlib import Path

PARSE_CHILD = b"longdoc.parsing.child"
PREPARE_CHILD = b"longdoc.documents.preparation"  # the parse child of a parse job
MODEL_CHILD = b"longdoc.inference.model_child"


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(parent: int, command: bytes) -> list[int]:
    """The processes ``parent`` started whose command line holds ``command``, running now."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(entry.name)[1])
            line = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and command in line:
            found.append(int(entry.name))
    return found


def wait_for_child(parent: int, command: bytes, timeout: float = 20.0) -> int:
    """The first such child, once one runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := children(parent, command):
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"process {parent} started no {command.decode()} within {timeout:g} s")


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, counts as dead)."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except (OSError, IndexError):
        return False
