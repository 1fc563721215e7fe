"""longdoc in front of an OpenAI-compatible upstream: llama-cpp-python's own server (a separate
process on loopback serving the same GGUF) behind a real ``longdoc serve``, driven by the SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.llama import embedded_gguf, llama_server
from support.server import LongdocServer, openai_client, wait_for_status

NOTE = "Shipping note.\n\nThe parcel with order number 5521 left the warehouse in Ningbo on Tuesday.\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    gguf = embedded_gguf()
    with llama_server(gguf, tmp_path_factory.mktemp("upstream")) as base_url:
        backend = {
            "kind": "openai",
            "base_url": base_url,
            "model": "tiny",
            "context_window": 4096,
            "schema_format": "json_object_schema",
        }
        env = {
            "LONGDOC_INFERENCE__BACKENDS": json.dumps({"upstream": backend}),
            "LONGDOC_INFERENCE__DEFAULT_BACKEND": "upstream",
        }
        running = LongdocServer(tmp_path_factory.mktemp("longdoc") / "data", env=env).start()
        yield running
        running.stop()


@pytest.fixture(scope="module")
def note_id(server: LongdocServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    client = openai_client(server)
    path = tmp_path_factory.mktemp("docs") / "shipping.txt"
    path.write_text(NOTE)
    file = client.files.create(file=path, purpose="file-extract")
    assert wait_for_status(client, file.id).status == "processed"
    return file.id


def messages(file_id: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "system", "content": f"fileid://{file_id}"},
        {"role": "user", "content": "From which city did the parcel leave?"},
    ]


def test_answers_through_the_upstream(server: LongdocServer, note_id: str) -> None:
    client = openai_client(server)
    completion = client.chat.completions.create(model="qwen-long", messages=messages(note_id), temperature=0)  # type: ignore[arg-type]
    assert "Ningbo" in (completion.choices[0].message.content or "")
    tokens = (client.files.retrieve(note_id).model_extra or {})["x_tokens"]
    assert completion.usage is not None and completion.usage.prompt_tokens >= tokens


def test_streams_with_usage_through_the_upstream(server: LongdocServer, note_id: str) -> None:
    client = openai_client(server)
    stream = client.chat.completions.create(
        model="qwen-long",
        messages=messages(note_id),
        temperature=0,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, usage = [], None
    for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
        usage = chunk.usage or usage
    assert len([p for p in pieces if p]) > 1 and "Ningbo" in "".join(pieces)
    assert usage is not None and usage.completion_tokens > 0


def test_json_schema_through_the_upstream(server: LongdocServer, note_id: str, tmp_path: Path) -> None:
    client = openai_client(server)
    schema = {
        "type": "object",
        "properties": {"order": {"type": "string"}, "city": {"type": "string"}},
        "required": ["order", "city"],
    }
    completion = client.chat.completions.create(
        model="qwen-long",
        temperature=0,
        messages=[*messages(note_id)[:2], {"role": "user", "content": "Give the order number and the city."}],  # type: ignore[list-item]
        response_format={"type": "json_schema", "json_schema": {"name": "shipment", "schema": schema}},
    )
    value = json.loads(completion.choices[0].message.content or "")
    assert set(value) >= {"order", "city"}
