"""End-to-end fixtures: a real ``longdoc serve`` on loopback, driven by the official SDKs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from support.server import LongdocServer


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LongdocServer]:
    running = LongdocServer(tmp_path / "data", database_url=database_url).start()
    yield running
    running.stop()


def openai_client(
    server: LongdocServer, key: str | None = None, prefix: str = "/compatible-mode/v1"
) -> openai.OpenAI:
    return openai.OpenAI(api_key=key or server.api_key, base_url=server.origin + prefix, max_retries=0)


def create_key(server: LongdocServer, account: str) -> str:
    """``longdoc keys create`` against the running server's store, as an operator would."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "longdoc.cli",
            "keys",
            "create",
            "--account",
            account,
            "--data-dir",
            str(server.data_dir),
        ],
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def wait_for_status(client: openai.OpenAI, file_id: str, timeout: float = 60.0) -> openai.types.FileObject:
    deadline = time.monotonic() + timeout
    while True:
        file = client.files.retrieve(file_id)
        if file.status != "uploaded" or time.monotonic() > deadline:
            return file
        time.sleep(0.1)


def raw(
    server: LongdocServer, method: str, path: str, key: str | None = None, **kwargs: object
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, server.origin + path, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]
