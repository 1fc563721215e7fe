"""Chat completions over documents through the real app, with the deterministic fake model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.inference.fake import FakeBackend
from longdoc.services import Services, build_services
from support.callers import Caller
from support.envelopes import assert_openai_error
from support.jobs import drain_jobs

MANUAL = "The X1 drill has a warranty of 24 months.\nIts price is 8999 yuan.\n"


@pytest.fixture
def chat_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path / "data",
        storage={"database_url": database_url},
        inference={"backends": {"embedded": {"kind": "fake", "context_window": 4096}}},
    )
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture
def caller(chat_services: Services) -> Iterator[Caller]:
    with TestClient(create_app(chat_services)) as client:
        yield Caller(client, chat_services.keys.create_key("alice"))


def fake(services: Services) -> FakeBackend:
    backend = services.backends["embedded"]
    assert isinstance(backend, FakeBackend)
    return backend


def processed(caller: Caller, services: Services, name: str, text: str) -> str:
    file_id = caller.upload(name, text.encode())["id"]
    drain_jobs(services)
    return str(file_id)


def post_chat(caller: Caller, messages: list[dict[str, str]], model: str = "qwen-long", **extra: object):  # type: ignore[no-untyped-def]
    return caller.client.post(
        "/v1/chat/completions", headers=caller.headers, json={"model": model, "messages": messages, **extra}
    )


def ask(caller: Caller, messages: list[dict[str, str]], **extra: object) -> dict:  # type: ignore[type-arg]
    response = caller.client.post(
        "/compatible-mode/v1/chat/completions",
        headers=caller.headers,
        json={"model": "qwen-long", "messages": messages, **extra},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_fileid_document_is_read_and_billed(caller: Caller, chat_services: Services) -> None:
    file_id = processed(caller, chat_services, "manual.txt", MANUAL)
    tokens = caller.client.get(f"/v1/files/{file_id}", headers=caller.headers).json()["x_tokens"]
    body = ask(
        caller,
        [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{file_id}"},
            {"role": "user", "content": "What is the warranty?"},
        ],
    )
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "What is the warranty?"}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] > tokens
    assert (
        body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}
    assert body["x_context"]["plan"] == "full"
    system = fake(chat_services).calls[-1][0][0].content
    assert "You are a helpful assistant." in system and "warranty of 24 months" in system
    assert 'name="manual.txt"' in system


def test_documents_keep_their_order_across_messages(caller: Caller, chat_services: Services) -> None:
    a, b, c, d = (processed(caller, chat_services, f"{n}.txt", f"Document {n} text.") for n in "abcd")
    ask(
        caller,
        [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{a},fileid://{b}"},
            {"role": "system", "content": f"fileid://{c}"},
            {"role": "user", "content": "What are these about?"},
            {"role": "assistant", "content": "Letters."},
            {"role": "system", "content": f"fileid://{d}"},
            {"role": "user", "content": "Compare them."},
        ],
    )
    messages = fake(chat_services).calls[-1][0]
    system = messages[0].content
    positions = [system.index(f"Document {n} text.") for n in "abcd"]
    assert positions == sorted(positions)
    assert [(m.role, m.content) for m in messages[1:]] == [
        ("user", "What are these about?"),
        ("assistant", "Letters."),
        ("user", "Compare them."),
    ]


def test_plain_text_documents(caller: Caller, chat_services: Services) -> None:
    ask(
        caller,
        [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": "Plain text document: the code is 4711."},
            {"role": "user", "content": "What is the code?"},
        ],
    )
    assert "the code is 4711" in fake(chat_services).calls[-1][0][0].content


def test_a_file_still_parsing_gets_the_services_message(caller: Caller) -> None:
    file_id = caller.upload("slow.txt", b"not parsed yet")["id"]  # no worker has run
    response = post_chat(
        caller, [{"role": "system", "content": f"fileid://{file_id}"}, {"role": "user", "content": "hi"}]
    )
    assert_openai_error(response, 400, message="File parsing in progress, please try again later.")


def test_file_errors_name_the_file(caller: Caller, chat_services: Services) -> None:
    unknown = "file-fe-" + "1" * 24
    response = post_chat(
        caller, [{"role": "system", "content": f"fileid://{unknown}"}, {"role": "user", "content": "hi"}]
    )
    assert unknown in assert_openai_error(response, 404)["message"]
    broken = processed(caller, chat_services, "broken.pdf", "%PDF-1.7 truncated")
    response = post_chat(
        caller, [{"role": "system", "content": f"fileid://{broken}"}, {"role": "user", "content": "hi"}]
    )
    assert broken in assert_openai_error(response, 400)["message"]


def test_another_account_s_file_is_unknown(caller: Caller, chat_services: Services) -> None:
    file_id = processed(caller, chat_services, "mine.txt", MANUAL)
    other = Caller(caller.client, chat_services.keys.create_key("mallory"))
    response = post_chat(
        other, [{"role": "system", "content": f"fileid://{file_id}"}, {"role": "user", "content": "hi"}]
    )
    assert_openai_error(response, 404)


def test_model_limits(caller: Caller, chat_services: Services) -> None:
    a = processed(caller, chat_services, "a.txt", "first")
    b = processed(caller, chat_services, "b.txt", "second")
    two_files = post_chat(
        caller,
        [{"role": "system", "content": f"fileid://{a},fileid://{b}"}, {"role": "user", "content": "hi"}],
        model="qwen-doc-turbo",
    )
    assert "at most 1" in assert_openai_error(two_files, 400)["message"]
    long_text = "word " * 9_500
    too_long = post_chat(
        caller,
        [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": long_text},
            {"role": "user", "content": "hi"},
        ],
        model="qwen-doc-turbo",
    )
    assert "9,000" in assert_openai_error(too_long, 400)["message"]
    unknown_model = caller.client.post(
        "/v1/chat/completions",
        headers=caller.headers,
        json={"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert_openai_error(unknown_model, 404, code="model_not_found")
    too_many_out = caller.client.post(
        "/v1/chat/completions",
        headers=caller.headers,
        json={"model": "qwen-long", "max_tokens": 40_000, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert_openai_error(too_many_out, 400, param="max_tokens")


def test_documents_too_large_for_the_engine_model_are_refused_with_sizes(
    caller: Caller, chat_services: Services
) -> None:
    big = processed(caller, chat_services, "big.txt", "lorem ipsum dolor sit amet " * 2_000)
    response = caller.client.post(
        "/v1/chat/completions",
        headers=caller.headers,
        json={
            "model": "qwen-long",
            "messages": [{"role": "system", "content": f"fileid://{big}"}, {"role": "user", "content": "hi"}],
            # passing it whole is what cannot fit; the default plan would pick passages instead
            "x_context_strategy": "full",
        },
    )
    message = assert_openai_error(response, 400)["message"]
    assert "big.txt" in message and "4,096" in message


def test_streaming_with_usage(caller: Caller, chat_services: Services) -> None:
    file_id = processed(caller, chat_services, "manual.txt", MANUAL)
    with caller.client.stream(
        "POST",
        "/v1/chat/completions",
        headers=caller.headers,
        json={
            "model": "qwen-long",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [
                {"role": "system", "content": f"fileid://{file_id}"},
                {"role": "user", "content": "say three words"},
            ],
        },
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "say three words"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 3


def test_json_schema_output_validates(caller: Caller) -> None:
    schema = {
        "type": "object",
        "properties": {"model": {"type": "string"}, "price": {"type": "number"}},
        "required": ["model", "price"],
    }
    body = ask(
        caller,
        [{"role": "user", "content": "extract"}],
        response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": schema}},
    )
    value = json.loads(body["choices"][0]["message"]["content"])
    assert set(value) == {"model", "price"}


def test_models_are_listed(caller: Caller) -> None:
    names = {m["id"] for m in caller.client.get("/v1/models", headers=caller.headers).json()["data"]}
    assert {"qwen-long", "qwen-long-latest", "qwen-long-2025-01-25", "qwen-doc-turbo"} <= names
