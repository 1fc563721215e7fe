"""Content-addressed blobs in any S3-compatible object store (AWS S3, MinIO, Ceph, R2…), through boto3.

Objects are keyed ``<prefix><sha256>``. An upload is staged in a local temp file while it is hashed
(never held in memory), then sent with boto3's managed transfer, which splits a large file into a
multipart upload and streams it from disk. Identical bytes are sent once: a hash already stored is
not sent again.

Reads go through a bounded local cache (``cache_bytes``): ``local_path`` downloads an object once
and later reads use the local copy, so a question over a large file's index does not fetch it on
every request. Least recently used files leave the cache when it grows past its bound; a file
being read survives its eviction (POSIX keeps an open file's data).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, BinaryIO

from longdoc.storage.blobs import BlobWriter, StagedBlob, StagingStore, sweep_stale_temp_files, temp_writer


class S3BlobStore(StagingStore):
    def __init__(self, client: Any, bucket: str, *, prefix: str, cache_dir: Path, cache_bytes: int) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix
        self._cache = cache_dir
        self._tmp = cache_dir / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        sweep_stale_temp_files(self._tmp)  # staged uploads and downloads of a process that died
        self._cache_bytes = cache_bytes
        self._evicting = threading.Lock()
        self._held = self._evict()  # bytes in the cache; the folder is scanned only when past the bound

    def _key(self, sha256: str) -> str:
        return f"{self._prefix}{sha256}"

    def _cached(self, sha256: str) -> Path:
        return self._cache / sha256[:2] / sha256

    def writer(self, *, max_bytes: int | None = None) -> BlobWriter:
        return temp_writer(self._tmp, max_bytes)

    def publish(self, staged: StagedBlob) -> None:
        if not self.exists(staged.sha256):
            self._client.upload_file(str(staged.temp_path), self._bucket, self._key(staged.sha256))
        cached = self._cached(staged.sha256)
        cached.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.link(staged.temp_path, cached)  # what was just stored is likely read next (the parse)
            self._added(staged.size, cached)

    def discard(self, staged: StagedBlob) -> None:
        staged.release()

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self._bucket, Key=self._key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def open(self, sha256: str) -> BinaryIO:
        return self.local_path(sha256).open("rb")

    def local_path(self, sha256: str) -> Path:
        """The blob as a local file, fetched into the cache on first use."""
        cached = self._cached(sha256)
        if cached.exists():
            os.utime(cached)  # recently used: evicted last
            return cached
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="fetch-")
        os.close(fd)
        try:
            self._client.download_file(self._bucket, self._key(sha256), name)
            os.replace(name, cached)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        self._added(cached.stat().st_size, cached)
        return cached

    def delete(self, sha256: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=self._key(sha256))
        self._cached(sha256).unlink(missing_ok=True)

    def _added(self, size: int, keep: Path) -> None:
        with self._evicting:
            self._held += size
            if self._held > self._cache_bytes:
                self._held = self._evict(keep)

    def _evict(self, keep: Path | None = None) -> int:
        """Remove least recently used files until the cache is within its bound; the bytes left."""
        files = []
        for path in self._cache.glob("??/*"):
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self._cache_bytes:
                break
            if path != keep:
                path.unlink(missing_ok=True)
                total -= size
        return total


def s3_client(
    endpoint_url: str | None, region: str | None, access_key: str | None, secret_key: str | None
) -> Any:
    """A boto3 S3 client; path-style addressing, which every S3-compatible server accepts."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}),
    )
