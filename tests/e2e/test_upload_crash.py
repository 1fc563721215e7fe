"""kill -9 of the server in the middle of a burst of uploads (threads uploading with the openai SDK):
after a restart every upload that was answered 200 is there with its bytes and ends processed or
error, no staged temp file is left, and no parse child outlived the killed server."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

import openai

from longdoc.parsing.isolation import WORK_PREFIX
from support.processes import PREPARE_CHILD, children, running
from support.server import LongdocServer, openai_client

THREADS = 6
ACCEPTED_BEFORE_KILL = 30
SETTLE_SECONDS = 60.0
# a lease shorter than the default, so that the parses the crash cut short are taken up again soon
ENV = {"LONGDOC_JOBS__LEASE_SECONDS": "3"}


def test_a_crash_during_an_upload_burst_loses_no_accepted_upload(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    first = LongdocServer(data_dir, database_url=database_url, env=ENV).start()
    accepted: dict[str, bytes] = {}
    lock = threading.Lock()
    killed = threading.Event()

    def upload(thread: int) -> None:
        client = openai_client(first)
        rng = random.Random(thread)
        for n in range(10_000):
            data = f"thread {thread} upload {n}: the warranty is 24 months\n".encode() * rng.randint(1, 8000)
            try:
                file = client.files.create(file=(f"t{thread}-{n}.txt", data), purpose="file-extract")
            except openai.APIConnectionError:
                assert killed.is_set(), "an upload failed before the server was killed"
                return
            with lock:
                accepted[file.id] = data

    threads = [threading.Thread(target=upload, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(accepted) < ACCEPTED_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first._process is not None
    server_pid = first._process.pid
    parsing = children(server_pid, PREPARE_CHILD)
    killed.set()
    first.kill()
    for thread in threads:
        thread.join(timeout=30)
    assert len(accepted) >= ACCEPTED_BEFORE_KILL

    gone_by = time.monotonic() + 5
    while any(running(pid) for pid in parsing) and time.monotonic() < gone_by:
        time.sleep(0.05)
    assert not [pid for pid in parsing if running(pid)], "parse children outlived the killed server"

    restarted = LongdocServer(data_dir, database_url=database_url, env=ENV)
    restarted.start()
    restarted.api_key = first.api_key
    try:
        assert list((data_dir / "blobs" / "tmp").iterdir()) == []
        assert (
            list(Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}{server_pid}-*")) == []
        )  # swept at restart
        client = openai_client(restarted)
        for file_id, data in accepted.items():
            assert client.files.content(file_id).read() == data, file_id
        settle_by = time.monotonic() + SETTLE_SECONDS
        for file_id in accepted:
            while (file := client.files.retrieve(file_id)).status == "uploaded":
                assert time.monotonic() < settle_by, f"{file_id} still parsing after {SETTLE_SECONDS} s"
                time.sleep(0.2)
            assert file.status in ("processed", "error"), file.status
            assert file.status == "processed" or file.status_details
    finally:
        restarted.stop()
