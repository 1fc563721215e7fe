"""The real embedded model and llama.cpp's own OpenAI-compatible server, shared by the tests here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.llama import embedded_gguf
from support.llama import llama_server as running_llama_server


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    return embedded_gguf()


@pytest.fixture(scope="session")
def llama_server(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_llama_server(gguf_path, tmp_path_factory.mktemp("llama_server")) as base_url:
        yield base_url
