"""Past one machine: two API processes (`longdoc serve --workers 0`) and two `longdoc worker`
processes, each with its own data folder, sharing only one PostgreSQL and one S3-compatible server
on loopback. A file uploaded through one API is parsed by a worker, asked about through the other
API with the openai SDK, and deleted (its bytes leave the object store). A worker killed with
SIGKILL in the middle of a burst of parses loses nothing and repeats nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from sqlalchemy import create_engine, text

from longdoc.storage.s3_blobs import s3_client
from support.processes import PREPARE_CHILD, wait_for_child
from support.s3 import ACCESS_KEY, SECRET_KEY, new_bucket
from support.server import LongdocServer, openai_client, wait_for_status
from support.stores import store_url

NOTE = "The staging cluster's maintenance window is every Tuesday at 03:00 UTC.\n" * 20


class Worker:
    """A `longdoc worker` process; its output goes to a file."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = (data_dir / "worker.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "longdoc.cli", "worker", "--threads", "1", "--data-dir", str(data_dir)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def cluster(tmp_path: Path, s3_endpoint: str) -> Iterator[tuple[list[LongdocServer], list[Worker], str, str]]:
    with store_url("postgres", tmp_path) as database_url:
        bucket = new_bucket(s3_endpoint)
        env = {
            **os.environ,
            "LONGDOC_STORAGE__DATABASE_URL": database_url,
            "LONGDOC_STORAGE__BLOB_KIND": "s3",
            "LONGDOC_STORAGE__S3__ENDPOINT_URL": s3_endpoint,
            "LONGDOC_STORAGE__S3__BUCKET": bucket,
            "LONGDOC_STORAGE__S3__ACCESS_KEY_ID": ACCESS_KEY,
            "LONGDOC_STORAGE__S3__SECRET_ACCESS_KEY": SECRET_KEY,
            "LONGDOC_INFERENCE__BACKENDS": json.dumps({"embedded": {"kind": "fake"}}),
            "LONGDOC_JOBS__POLL_SECONDS": "0.1",
            "LONGDOC_JOBS__LEASE_SECONDS": "3",
        }
        apis = [LongdocServer(tmp_path / f"api{i}", env=env, args=("--workers", "0")).start() for i in (1, 2)]
        workers = [Worker(tmp_path / f"worker{i}", env) for i in (1, 2)]
        try:
            yield apis, workers, database_url, bucket
        finally:
            for api in apis:
                api.stop()
            for worker in workers:
                worker.stop()


def stored_keys(s3_endpoint: str, bucket: str) -> set[str]:
    listed = s3_client(s3_endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


def test_upload_on_one_api_parse_on_a_worker_ask_on_the_other(
    cluster: tuple[list[LongdocServer], list[Worker], str, str], s3_endpoint: str, tmp_path: Path
) -> None:
    (first, second), _, _, bucket = cluster
    key = first.api_key or second.api_key
    assert key  # the first process to start on the empty store created the account
    path = tmp_path / "maintenance.txt"
    path.write_text(NOTE)
    uploaded = openai_client(first, key).files.create(file=path, purpose="file-extract")
    other = openai_client(second, key)
    assert wait_for_status(other, uploaded.id, timeout=60).status == "processed"
    assert other.files.content(uploaded.id).read() == NOTE.encode()
    assert len(stored_keys(s3_endpoint, bucket)) == 3  # the bytes, the parsed document, its index

    answer = other.chat.completions.create(
        model="qwen-long",
        messages=[
            {"role": "system", "content": f"fileid://{uploaded.id}"},
            {"role": "user", "content": "When is the maintenance window?"},
        ],
    )
    assert answer.usage is not None and answer.usage.prompt_tokens > 200  # the document was read whole

    assert other.files.delete(uploaded.id).deleted
    assert stored_keys(s3_endpoint, bucket) == set()  # no file uses those blobs any more
    with pytest.raises(openai.NotFoundError):
        openai_client(first, key).files.retrieve(uploaded.id)


def test_a_worker_killed_mid_burst_loses_nothing_and_repeats_nothing(
    cluster: tuple[list[LongdocServer], list[Worker], str, str], tmp_path: Path
) -> None:
    (first, second), (doomed, survivor), database_url, _ = cluster
    key = first.api_key or second.api_key
    client = openai_client(first, key)
    ids = []
    for i in range(12):
        path = tmp_path / f"note-{i}.txt"
        path.write_text(f"Note {i}.\n" + NOTE)
        ids.append(client.files.create(file=path, purpose="file-extract").id)
    wait_for_child(doomed.process.pid, PREPARE_CHILD)  # the doomed worker is mid-parse
    doomed.kill()

    other = openai_client(second, key)
    for file_id in ids:
        assert wait_for_status(other, file_id, timeout=90).status == "processed", file_id
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT state, count(*) FROM jobs WHERE kind = 'parse' GROUP BY state")
        ).all()
    engine.dispose()
    assert dict(rows) == {"done": 12}, rows  # one finished parse job a file: none lost, none run twice
    assert survivor.process.poll() is None
