import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from longdoc.core.errors import TooLarge
from longdoc.storage.blobs import STALE_TEMP_SECONDS, FilesystemBlobStore, sweep_stale_temp_files


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


# --- temp files left by a crash --------------------------------------------------------------


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_a_dead_writers_temp_file_is_removed_when_a_store_starts(tmp_path: Path) -> None:
    """A process killed mid-upload leaves its staged file; the next store to start removes it."""
    script = (
        "import os, sys, signal; from pathlib import Path\n"
        "from longdoc.storage.blobs import FilesystemBlobStore\n"
        "writer = FilesystemBlobStore(Path(sys.argv[1])).writer()\n"
        "writer.write(b'half an upload')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=False)
    (leftover,) = (tmp_path / "tmp").iterdir()
    FilesystemBlobStore(tmp_path)
    assert not leftover.exists()


def test_temp_files_in_use_survive_a_store_starting(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    writing = store.writer()
    writing.write(b"still arriving")
    staged = store.stage([b"waiting to be published"])
    for path in (tmp_path / "tmp").iterdir():
        _age(path, STALE_TEMP_SECONDS + 1)
    FilesystemBlobStore(tmp_path)  # another process starting, as far as locks go
    assert len(list((tmp_path / "tmp").iterdir())) == 2
    store.publish(staged)
    store.discard(staged)
    writing.abort()
    assert not list((tmp_path / "tmp").iterdir())


def test_a_writer_whose_file_is_swept_before_it_is_locked_makes_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemBlobStore(tmp_path)
    create = tempfile.mkstemp
    calls = []

    def create_then_lose(**kwargs: object) -> tuple[int, str]:
        fd, name = create(**kwargs)  # type: ignore[call-overload]
        calls.append(name)
        if len(calls) == 1:
            sweep_stale_temp_files(tmp_path / "tmp")  # another process starting, right then
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", create_then_lose)
    staged = store.stage([b"kept"])
    assert len(calls) == 2 and staged.temp_path == Path(calls[1]) and staged.temp_path.exists()
    store.publish(staged)
    store.discard(staged)
    assert store.open(staged.sha256).read() == b"kept"


def test_unlocked_temp_files_of_other_kinds_go_only_when_old(tmp_path: Path) -> None:
    """A download into a cache carries no lock: it is left alone until it is clearly abandoned."""
    FilesystemBlobStore(tmp_path)
    download = tmp_path / "tmp" / "fetch-abc"
    download.write_bytes(b"partial download")
    assert sweep_stale_temp_files(tmp_path / "tmp") == 0
    _age(download, STALE_TEMP_SECONDS + 1)
    assert sweep_stale_temp_files(tmp_path / "tmp") == 1
    assert not download.exists()
