"""The seed's Qwen-Long examples, run unchanged but for base URL and key, against a real
``longdoc serve`` with the embedded model (Qwen2.5-Coder-0.5B on llama.cpp)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from support.models import require_embedded_model
from support.server import LongdocServer, openai_client, wait_for_status

MANUAL = (
    "X1 Cordless Drill — Product Manual\n\n"
    "The X1 is a cordless drill with a 20 V battery.\n"
    "Warranty: the X1 is covered by a warranty of 24 months from the date of purchase.\n"
    "Price: 8999 yuan.\n"
)
RECIPE = "Grandmother's bread recipe.\n\nBake the bread at 220 degrees Celsius for 35 minutes.\n"


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    require_embedded_model()
    server = LongdocServer(tmp_path_factory.mktemp("chat") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(model_server: LongdocServer) -> openai.OpenAI:
    return openai_client(model_server)


@pytest.fixture(scope="module")
def manual_id(client: openai.OpenAI, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("docs") / "x1-manual.txt"
    path.write_text(MANUAL)
    file = client.files.create(file=path, purpose="file-extract")
    assert wait_for_status(client, file.id).status == "processed"
    return file.id


@pytest.fixture(scope="module")
def recipe_id(client: openai.OpenAI, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("docs") / "bread.txt"
    path.write_text(RECIPE)
    file = client.files.create(file=path, purpose="file-extract")
    assert wait_for_status(client, file.id).status == "processed"
    return file.id


def ask(client: openai.OpenAI, messages: list[dict[str, str]], **extra: object) -> str:
    completion = client.chat.completions.create(model="qwen-long", messages=messages, temperature=0, **extra)  # type: ignore[arg-type]
    return completion.choices[0].message.content or ""


def test_upload_and_ask_with_fileid(client: openai.OpenAI, manual_id: str) -> None:
    answer = ask(
        client,
        [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{manual_id}"},
            {"role": "user", "content": "How many months of warranty does the X1 have?"},
        ],
    )
    assert "24" in answer


def test_two_ids_comma_separated(client: openai.OpenAI, manual_id: str, recipe_id: str) -> None:
    completion = client.chat.completions.create(
        model="qwen-long",
        temperature=0,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{manual_id},fileid://{recipe_id}"},
            {"role": "user", "content": "At how many degrees Celsius is the bread baked?"},
        ],
    )
    assert "220" in (completion.choices[0].message.content or "")
    files_tokens = sum(
        (client.files.retrieve(i).model_extra or {})["x_tokens"] for i in (manual_id, recipe_id)
    )
    assert completion.usage is not None and completion.usage.prompt_tokens >= files_tokens


def test_two_system_messages_and_a_document_appended_after_an_answer(
    client: openai.OpenAI, manual_id: str, recipe_id: str
) -> None:
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "system", "content": f"fileid://{manual_id}"},
        {"role": "user", "content": "What is the price of the X1 in yuan?"},
    ]
    first = ask(client, messages)
    assert "8999" in first.replace(",", "")
    messages += [
        {"role": "assistant", "content": first},
        {"role": "system", "content": f"fileid://{recipe_id}"},
        {"role": "user", "content": "For how many minutes is the bread baked?"},
    ]
    assert "35" in ask(client, messages)


def test_plain_text_documents(client: openai.OpenAI) -> None:
    answer = ask(
        client,
        [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": RECIPE},
            {"role": "user", "content": "At how many degrees Celsius is the bread baked?"},
        ],
    )
    assert "220" in answer


def test_streaming_with_include_usage(client: openai.OpenAI, manual_id: str) -> None:
    stream = client.chat.completions.create(
        model="qwen-long",
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{manual_id}"},
            {"role": "user", "content": "How many months of warranty does the X1 have?"},
        ],
    )
    pieces, usage = [], None
    for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
        if chunk.usage:
            usage = chunk.usage
    assert "24" in "".join(pieces)
    tokens = (client.files.retrieve(manual_id).model_extra or {})["x_tokens"]
    assert usage is not None and usage.prompt_tokens >= tokens and usage.completion_tokens > 0


def test_the_parsing_in_progress_retry_loop(client: openai.OpenAI, tmp_path: Path) -> None:
    path = tmp_path / "long-notes.txt"
    path.write_text("Filler line about nothing in particular.\n" * 100_000 + "The vault code is 7734.\n")
    file = client.files.create(file=path, purpose="file-extract")
    waits = 0
    while True:  # the seed's loop, as users write it
        try:
            client.chat.completions.create(
                model="qwen-long",
                max_tokens=5,
                messages=[
                    {"role": "system", "content": f"fileid://{file.id}"},
                    {"role": "user", "content": "hi"},
                ],
            )
            break
        except openai.BadRequestError as e:
            if "File parsing in progress" in str(e):
                waits += 1
                time.sleep(0.2)
                continue
            # the file is parsed now but far larger than the embedded model's window
            assert "window" in str(e)
            break
    assert waits >= 1


def test_json_schema_extraction_validates(client: openai.OpenAI, manual_id: str) -> None:
    schema = {
        "type": "object",
        "properties": {
            "model": {"type": "string"},
            "price": {"type": "number"},
            "warranty_months": {"type": "integer"},
        },
        "required": ["model", "price", "warranty_months"],
        "additionalProperties": False,
    }
    content = ask(
        client,
        [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{manual_id}"},
            {"role": "user", "content": "Extract the product's model, price and warranty in months as JSON."},
        ],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "product", "schema": schema, "strict": True},
        },
    )
    value = json.loads(content)
    assert set(value) == {"model", "price", "warranty_months"}
    assert isinstance(value["price"], int | float) and isinstance(value["warranty_months"], int)
