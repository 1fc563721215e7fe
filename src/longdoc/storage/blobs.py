"""Content-addressed blob storage.

Bytes are stored once per sha256. A write streams into a temp file while hashing, fsyncs it,
and then links it into place, so a crash leaves either nothing or the whole blob. Callers decide
when a blob is no longer referenced; ``delete`` just removes it.

A crash can leave temp files behind. Each one is locked (``flock``) by its writer from creation
until it is discarded, so a store that starts removes the temp files nobody holds a lock on:
leftovers of a process that died (the kernel drops a dead process's locks), however recent.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from longdoc.core.errors import TooLarge

HEAD_BYTES = 64
COPY_BYTES = 1024 * 1024  # the piece a stored file is read in
STAGE_PREFIX = "stage-"
# Temp files that are not staged blobs (a download into a cache) carry no lock: they are removed
# only once this old (an unfinished download keeps its file's time fresh).
STALE_TEMP_SECONDS = 15 * 60.0


@dataclass(frozen=True)
class StagedBlob:
    """Bytes written and hashed but not yet published under their hash."""

    temp_path: Path
    sha256: str
    size: int
    head: bytes  # the first bytes, to sniff the format without reopening the file
    # the temp file, still open: its lock says "in use" until the blob is discarded
    hold: BinaryIO | None = field(default=None, repr=False, compare=False)

    def release(self) -> None:
        """Remove the temp file, then let go of its lock."""
        self.temp_path.unlink(missing_ok=True)
        if self.hold is not None:
            self.hold.close()


class BlobWriter:
    """Streams bytes into a temp file while hashing them; ``close`` makes it a StagedBlob.

    The writer locks the file at once, and the staged blob keeps the lock until it is discarded.
    """

    def __init__(self, out: BinaryIO, temp_path: Path, max_bytes: int | None) -> None:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX)
        self._out = out
        self._temp = temp_path
        self._max = max_bytes
        self._digest = hashlib.sha256()
        self._head = b""
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._max is not None and self.size > self._max:
            self.abort()
            raise TooLarge(f"the file is larger than the limit of {self._max:,} bytes", param="file")
        if len(self._head) < HEAD_BYTES:
            self._head = (self._head + chunk)[:HEAD_BYTES]
        self._digest.update(chunk)
        self._out.write(chunk)

    def close(self) -> StagedBlob:
        self._out.flush()
        os.fsync(self._out.fileno())
        return StagedBlob(self._temp, self._digest.hexdigest(), self.size, self._head, hold=self._out)

    def abort(self) -> None:
        self._temp.unlink(missing_ok=True)
        self._out.close()


class BlobStore(Protocol):
    def writer(self, *, max_bytes: int | None = None) -> BlobWriter: ...
    def publish(self, staged: StagedBlob) -> None: ...
    def discard(self, staged: StagedBlob) -> None: ...
    def put_bytes(self, data: bytes) -> str: ...
    def put_file(self, path: Path) -> str: ...
    def exists(self, sha256: str) -> bool: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def local_path(self, sha256: str) -> Path: ...
    def delete(self, sha256: str) -> None: ...


class StagingStore(ABC):
    """What every store builds on its own ``writer``, ``publish`` and ``discard``."""

    @abstractmethod
    def writer(self, *, max_bytes: int | None = None) -> BlobWriter: ...

    @abstractmethod
    def publish(self, staged: StagedBlob) -> None: ...

    @abstractmethod
    def discard(self, staged: StagedBlob) -> None: ...

    def stage(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> StagedBlob:
        """Write ``chunks`` to a temp file; raise TooLarge (removing it) past ``max_bytes``."""
        writer = self.writer(max_bytes=max_bytes)
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.close()

    def put_bytes(self, data: bytes) -> str:
        return self._put(self.stage([data]))

    def put_file(self, path: Path) -> str:
        """Store a file's bytes, read in pieces: a large file never sits in memory whole."""
        with path.open("rb") as f:
            return self._put(self.stage(iter(lambda: f.read(COPY_BYTES), b"")))

    def _put(self, staged: StagedBlob) -> str:
        try:
            self.publish(staged)
        finally:
            self.discard(staged)
        return staged.sha256


class FilesystemBlobStore(StagingStore):
    """Blobs under ``root/ab/cd/<sha256>``; temp files under ``root/tmp`` on the same filesystem."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        sweep_stale_temp_files(self._tmp)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def writer(self, *, max_bytes: int | None = None) -> BlobWriter:
        return temp_writer(self._tmp, max_bytes)

    def publish(self, staged: StagedBlob) -> None:
        """Make the staged bytes readable under their hash; identical bytes are kept once."""
        final = self._path(staged.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.link(staged.temp_path, final)
        _fsync_dir(final.parent)

    def discard(self, staged: StagedBlob) -> None:
        staged.release()

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def local_path(self, sha256: str) -> Path:
        return self._path(sha256)

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)


def temp_writer(folder: Path, max_bytes: int | None = None) -> BlobWriter:
    """A writer on a new staged-blob temp file in ``folder``, locked before it is used."""
    while True:
        fd, name = tempfile.mkstemp(dir=folder, prefix=STAGE_PREFIX)
        out = os.fdopen(fd, "wb")
        writer = BlobWriter(out, Path(name), max_bytes)  # takes the lock
        with contextlib.suppress(FileNotFoundError):
            if os.stat(name).st_ino == os.fstat(fd).st_ino:
                return writer
        out.close()  # a sweep removed the file between its creation and the lock: make another


def sweep_stale_temp_files(folder: Path) -> int:
    """Remove the temp files in ``folder`` that no live process uses; returns how many.

    A staged blob (``STAGE_PREFIX``) is in use exactly while some process holds its lock, whatever
    its age; any other temp file is taken for in use until it is ``STALE_TEMP_SECONDS`` old.
    """
    removed = 0
    for path in folder.iterdir():
        try:
            with path.open("rb") as probe:
                age = time.time() - os.fstat(probe.fileno()).st_mtime
                if not path.name.startswith(STAGE_PREFIX) and age < STALE_TEMP_SECONDS:
                    continue
                try:
                    fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its writer is alive
                path.unlink()  # under our lock, so no writer can take the file meanwhile
                removed += 1
        except (FileNotFoundError, IsADirectoryError):
            continue  # gone meanwhile, or not a temp file
    return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
