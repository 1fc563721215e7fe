from pathlib import Path

import pytest

from longdoc.core.errors import TooLarge
from longdoc.storage.blobs import FilesystemBlobStore


def test_identical_bytes_are_stored_once(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    a = store.put_bytes(b"hello world")
    b = store.put_bytes(b"hello world")
    assert a == b
    assert store.open(a).read() == b"hello world"
    blobs = [p for p in tmp_path.rglob("*") if p.is_file() and p.relative_to(tmp_path).parts[0] != "tmp"]
    assert len(blobs) == 1


def test_staged_bytes_are_invisible_until_published(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    staged = store.stage([b"abc", b"def"])
    assert staged.size == 6
    assert not store.exists(staged.sha256)
    store.publish(staged)
    store.discard(staged)
    assert store.open(staged.sha256).read() == b"abcdef"
    assert not list((tmp_path / "tmp").iterdir())


def test_writing_past_the_limit_fails_and_leaves_nothing(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    with pytest.raises(TooLarge):
        store.stage([b"x" * 600, b"x" * 600], max_bytes=1000)
    assert not list((tmp_path / "tmp").iterdir())
