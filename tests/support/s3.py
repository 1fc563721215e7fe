"""A real S3-compatible server on loopback (moto's standalone server), for the blob-store tests;
without moto installed those tests skip with the reason."""

from __future__ import annotations

import importlib.util
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import free_port

ACCESS_KEY, SECRET_KEY = "longdoc-test", "longdoc-test-secret"


@contextmanager
def s3_server(log_dir: Path) -> Iterator[str]:
    """moto's S3 server on a free loopback port; yields its endpoint URL."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        pytest.skip("the S3 tests need moto's server: pip install 'moto[server]' (in the dev extra)")
    port = free_port()
    log = (log_dir / "moto.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"moto's server exited: {(log_dir / 'moto.log').read_text()[-2000:]}")
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not start within 30 s") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def new_bucket(endpoint: str) -> str:
    """A fresh bucket for one test."""
    from longdoc.storage.s3_blobs import s3_client

    name = "t-" + secrets.token_hex(6)
    s3_client(endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY).create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, bucket: str, **extra: Any) -> dict[str, Any]:
    """The ``storage`` settings section of a service using that bucket."""
    return {
        "blob_kind": "s3",
        "s3": {
            "endpoint_url": endpoint,
            "bucket": bucket,
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            **extra,
        },
    }
