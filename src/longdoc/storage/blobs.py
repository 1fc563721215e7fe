"""Content-addressed blob storage.

Bytes are stored once per sha256. A write streams into a temp file while hashing, fsyncs it,
and then links it into place, so a crash leaves either nothing or the whole blob. Callers decide
when a blob is no longer referenced; ``delete`` just removes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from longdoc.core.errors import TooLarge

HEAD_BYTES = 64


@dataclass(frozen=True)
class StagedBlob:
    """Bytes written and hashed but not yet published under their hash."""

    temp_path: Path
    sha256: str
    size: int
    head: bytes  # the first bytes, to sniff the format without reopening the file


class BlobWriter:
    """Streams bytes into a temp file while hashing them; ``close`` makes it a StagedBlob."""

    def __init__(self, out: BinaryIO, temp_path: Path, max_bytes: int | None) -> None:
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
        self._out.close()
        return StagedBlob(self._temp, self._digest.hexdigest(), self.size, self._head)

    def abort(self) -> None:
        self._out.close()
        self._temp.unlink(missing_ok=True)


class BlobStore(Protocol):
    def writer(self, *, max_bytes: int | None = None) -> BlobWriter: ...
    def publish(self, staged: StagedBlob) -> None: ...
    def discard(self, staged: StagedBlob) -> None: ...
    def put_bytes(self, data: bytes) -> str: ...
    def exists(self, sha256: str) -> bool: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def local_path(self, sha256: str) -> Path: ...
    def delete(self, sha256: str) -> None: ...


class FilesystemBlobStore:
    """Blobs under ``root/ab/cd/<sha256>``; temp files under ``root/tmp`` on the same filesystem."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def writer(self, *, max_bytes: int | None = None) -> BlobWriter:
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="stage-")
        return BlobWriter(os.fdopen(fd, "wb"), Path(name), max_bytes)

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

    def publish(self, staged: StagedBlob) -> None:
        """Make the staged bytes readable under their hash; identical bytes are kept once."""
        final = self._path(staged.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.link(staged.temp_path, final)
        _fsync_dir(final.parent)

    def discard(self, staged: StagedBlob) -> None:
        staged.temp_path.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> str:
        staged = self.stage([data])
        try:
            self.publish(staged)
        finally:
            self.discard(staged)
        return staged.sha256

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def local_path(self, sha256: str) -> Path:
        return self._path(sha256)

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
