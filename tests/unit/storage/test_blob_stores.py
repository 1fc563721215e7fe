"""What every blob store promises, on the filesystem and on a real S3-compatible server: content
addressing (identical bytes stored once), staged bytes invisible until published, the size limit,
deletion, and — for S3 — blobs shared between processes and a bounded local cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from longdoc.config import Settings
from longdoc.core.errors import TooLarge
from longdoc.services import blob_store
from longdoc.storage.blobs import BlobStore, StagedBlob
from longdoc.storage.s3_blobs import S3BlobStore, s3_client
from support.s3 import ACCESS_KEY, SECRET_KEY, new_bucket, s3_settings


def settings_for(kind: str, tmp_path: Path, request: pytest.FixtureRequest, **s3: object) -> Settings:
    if kind == "filesystem":
        return Settings(data_dir=tmp_path / "data")
    endpoint = request.getfixturevalue("s3_endpoint")
    return Settings(data_dir=tmp_path / "data", storage=s3_settings(endpoint, new_bucket(endpoint), **s3))


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    yield blob_store(settings_for(request.param, tmp_path, request))


def staged(store: BlobStore, *chunks: bytes, max_bytes: int | None = None) -> StagedBlob:
    writer = store.writer(max_bytes=max_bytes)
    for chunk in chunks:
        writer.write(chunk)
    return writer.close()


def temp_files(tmp_path: Path) -> list[Path]:
    return [p for p in tmp_path.rglob("tmp/*") if p.is_file()]


def test_identical_bytes_are_stored_once(store: BlobStore, tmp_path: Path) -> None:
    a = store.put_bytes(b"hello world")
    assert store.put_bytes(b"hello world") == a
    with store.open(a) as blob:
        assert blob.read() == b"hello world"
    if isinstance(store, S3BlobStore):
        listed = store._client.list_objects_v2(Bucket=store._bucket)["Contents"]
        assert [o["Key"] for o in listed] == [f"blobs/{a}"]
    assert temp_files(tmp_path) == []


def test_staged_bytes_are_invisible_until_published(store: BlobStore, tmp_path: Path) -> None:
    blob = staged(store, b"abc", b"def")
    assert blob.size == 6 and not store.exists(blob.sha256)
    store.publish(blob)
    store.discard(blob)
    assert store.exists(blob.sha256)
    assert store.local_path(blob.sha256).read_bytes() == b"abcdef"
    assert temp_files(tmp_path) == []


def test_writing_past_the_limit_fails_and_leaves_nothing(store: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(TooLarge):
        staged(store, b"x" * 600, b"x" * 600, max_bytes=1000)
    assert temp_files(tmp_path) == []


def test_delete_removes_the_blob(store: BlobStore) -> None:
    sha = store.put_bytes(b"short-lived")
    store.delete(sha)
    assert not store.exists(sha)


def test_s3_blobs_are_shared_and_cached_within_a_bound(tmp_path: Path, s3_endpoint: str) -> None:
    bucket = new_bucket(s3_endpoint)
    writer = blob_store(Settings(data_dir=tmp_path / "api", storage=s3_settings(s3_endpoint, bucket)))
    shas = [writer.put_bytes(bytes([i]) * 1024) for i in range(4)]

    # another process (a worker elsewhere) reads through its own cache of at most 2.5 KiB
    reader = blob_store(
        Settings(data_dir=tmp_path / "worker", storage=s3_settings(s3_endpoint, bucket, cache_mb=1))
    )
    assert isinstance(reader, S3BlobStore)
    reader._cache_bytes = 2560
    for i, sha in enumerate(shas):
        assert reader.local_path(sha).read_bytes() == bytes([i]) * 1024
    cached = [p for p in (tmp_path / "worker" / "blob-cache").glob("??/*")]
    assert 1 <= len(cached) <= 2 and sum(p.stat().st_size for p in cached) <= 2560

    # a cached blob is read locally: gone from the store, it still reads
    client = s3_client(s3_endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY)
    client.delete_object(Bucket=bucket, Key=f"blobs/{shas[-1]}")
    assert reader.open(shas[-1]).read() == bytes([3]) * 1024


def test_a_large_upload_goes_up_in_parts_from_disk(tmp_path: Path, s3_endpoint: str) -> None:
    bucket = new_bucket(s3_endpoint)
    store = blob_store(Settings(data_dir=tmp_path / "data", storage=s3_settings(s3_endpoint, bucket)))
    part = bytes(range(256)) * 4096  # 1 MiB
    blob = staged(store, *[part] * 20)  # 20 MiB: boto3 sends multipart above 8 MiB
    store.publish(blob)
    store.discard(blob)
    client = s3_client(s3_endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY)
    head = client.head_object(Bucket=bucket, Key=f"blobs/{blob.sha256}")
    assert head["ContentLength"] == 20 * len(part)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart object's ETag counts its parts


def test_an_unknown_blob_kind_fails_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="known: filesystem, s3"):
        blob_store(Settings(data_dir=tmp_path, storage={"blob_kind": "ftp"}))
