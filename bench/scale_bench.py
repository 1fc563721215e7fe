"""Past one machine: parse throughput with one `longdoc worker` process vs two, and blob throughput
of an S3-compatible server vs the filesystem store, in one run.

Parsing: the PDFs of shared/corpus/pdf are uploaded to an API-only `longdoc serve --workers 0`
(PostgreSQL for metadata and jobs, moto's S3 server for blobs), then N worker processes of one
thread each are started and timed until every file is processed. Blobs: 16 blobs of 8 MiB written
(staged, hashed, published) and read back cold through each store.

The S3 server is moto's (a Python server, far slower than MinIO or a cloud store): its row is a
floor, not what a real object store gives.

Usage: python bench/scale_bench.py   (needs LONGDOC_TEST_POSTGRES_URL or a PostgreSQL on 127.0.0.1)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("LONGDOC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

from longdoc.config import Settings  # noqa: E402
from longdoc.services import blob_store  # noqa: E402
from support.s3 import ACCESS_KEY, SECRET_KEY, new_bucket, s3_server, s3_settings  # noqa: E402
from support.server import LongdocServer, openai_client  # noqa: E402
from support.stores import store_url  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "pdf"
BLOBS, BLOB_MB = 16, 8


def cluster_env(database_url: str, endpoint: str, bucket: str) -> dict[str, str]:
    return {
        **os.environ,
        "LONGDOC_STORAGE__DATABASE_URL": database_url,
        "LONGDOC_STORAGE__BLOB_KIND": "s3",
        "LONGDOC_STORAGE__S3__ENDPOINT_URL": endpoint,
        "LONGDOC_STORAGE__S3__BUCKET": bucket,
        "LONGDOC_STORAGE__S3__ACCESS_KEY_ID": ACCESS_KEY,
        "LONGDOC_STORAGE__S3__SECRET_ACCESS_KEY": SECRET_KEY,
        "LONGDOC_INFERENCE__BACKENDS": json.dumps({"embedded": {"kind": "fake"}}),
        "LONGDOC_JOBS__POLL_SECONDS": "0.1",
    }


def parse_seconds(workers: int, endpoint: str, files: list[Path], scratch: Path) -> float:
    """Seconds from starting ``workers`` worker processes until every file is processed."""
    with store_url("postgres", scratch) as database_url:
        env = cluster_env(database_url, endpoint, new_bucket(endpoint))
        api = LongdocServer(scratch / f"api-{workers}", env=env, args=("--workers", "0")).start()
        processes: list[subprocess.Popen[bytes]] = []
        try:
            client = openai_client(api)
            ids = [client.files.create(file=path, purpose="file-extract").id for path in files]
            started = time.perf_counter()
            for i in range(workers):
                data = scratch / f"worker-{workers}-{i}"
                data.mkdir()
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "longdoc.cli",
                            "worker",
                            "--threads",
                            "1",
                            "--data-dir",
                            str(data),
                        ],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            pending = set(ids)
            while pending:
                pending = {i for i in pending if client.files.retrieve(i).status == "uploaded"}
                time.sleep(0.2)
            return time.perf_counter() - started
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)
            api.stop()


def blob_rates(settings: Settings, reader_settings: Settings) -> tuple[float, float]:
    """(write MB/s, read MB/s through a second store instance) of ``BLOBS`` blobs of ``BLOB_MB`` MiB."""
    store = blob_store(settings)
    chunk = os.urandom(1 << 20)
    started = time.perf_counter()
    shas = []
    for i in range(BLOBS):
        writer = store.writer()
        writer.write(i.to_bytes(8, "big"))
        for _ in range(BLOB_MB):
            writer.write(chunk)
        staged = writer.close()
        store.publish(staged)
        store.discard(staged)
        shas.append(staged.sha256)
    written = time.perf_counter() - started
    reader = blob_store(reader_settings)
    started = time.perf_counter()
    for sha in shas:
        with reader.open(sha) as blob:
            while blob.read(1 << 20):
                pass
    read = time.perf_counter() - started
    megabytes = BLOBS * BLOB_MB
    return megabytes / written, megabytes / read


def main() -> None:
    files = sorted(CORPUS.glob("*.pdf"))
    if not files:
        print(f"no PDFs in {CORPUS}: the parse rows need shared/corpus")
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        with s3_server(scratch) as endpoint:
            timings = (
                {n: parse_seconds(n, endpoint, files, scratch / f"run{n}") for n in (1, 2)} if files else {}
            )
            fs_settings = Settings(data_dir=scratch / "fs")
            fs = blob_rates(fs_settings, fs_settings)
            storage = s3_settings(endpoint, new_bucket(endpoint))
            s3 = blob_rates(
                Settings(data_dir=scratch / "s3-writer", storage=storage),
                Settings(
                    data_dir=scratch / "s3-reader", storage=storage
                ),  # an empty cache: every read fetches
            )
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\nParsing {len(files)} PDFs of shared/corpus/pdf; {os.cpu_count()} cores\n")
    print("| worker processes | seconds | files/s | speed-up vs one |")
    print("| --- | --- | --- | --- |")
    for n, seconds in timings.items():
        print(f"| {n} | {seconds:.1f} | {len(files) / seconds:.2f} | {timings[1] / seconds:.2f}× |")
    print(
        f"\nBlobs: {BLOBS} × {BLOB_MB} MiB written, then read by another store instance (S3: from an empty cache)\n"
    )
    print("| store | write MB/s | read MB/s | write vs filesystem |")
    print("| --- | --- | --- | --- |")
    print(f"| filesystem | {fs[0]:.0f} | {fs[1]:.0f} | 1.00× |")
    print(f"| S3 (moto server on loopback) | {s3[0]:.0f} | {s3[1]:.0f} | {s3[0] / fs[0]:.2f}× |")


if __name__ == "__main__":
    main()
