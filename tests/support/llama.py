"""The real embedded model and llama.cpp's own OpenAI-compatible server, for tests that need them."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from longdoc.inference.weights import EMBEDDED_MODELS, ModelWeightsMissing, default_cache_dir, ensure_gguf


def embedded_gguf() -> Path:
    """The verified 0.5B GGUF, or a skip saying what is missing."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install '.[embedded]')")
    try:
        return ensure_gguf(EMBEDDED_MODELS["0.5b"], default_cache_dir())
    except ModelWeightsMissing as exc:
        pytest.skip(exc.message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_server(
    gguf_path: Path, log_dir: Path, n_ctx: int = 4096, threads: int | None = None
) -> Iterator[str]:
    """llama-cpp-python's server on loopback, as an upstream; yields its base URL."""
    if importlib.util.find_spec("sse_starlette") is None:
        pytest.skip("llama-cpp-python[server] extras are not installed")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        *(["--n_threads", str(threads), "--n_threads_batch", str(threads)] if threads else []),
        "--flash_attn",
        "true",
        "--model_alias",
        "tiny",
    ]
    log_path = log_dir / "llama-server.log"
    log = log_path.open("wb")  # a file, not a pipe: a full pipe would stall the server
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not start within 60 s")
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
