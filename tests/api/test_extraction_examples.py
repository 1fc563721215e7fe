"""Few-shot examples (``x_extraction_examples``) through the real app: shown before the document in
every part's prompt, in both protocols and in Batch API lines; an invalid one is a 400 in the
caller's protocol."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.inference.base import ChatMessage, GenerationParams
from longdoc.inference.fake import FakeBackend
from longdoc.services import Services
from support.callers import Caller
from support.fakes import services_with_model
from support.jobs import drain_jobs

PART = re.compile(r"<<<\n(.*)\n>>>", re.DOTALL)
PRODUCT = re.compile(r"model (\w+-\d+)")
SCHEMA = {
    "type": "object",
    "properties": {
        "products": {
            "type": "array",
            "items": {"type": "object", "properties": {"model": {"type": "string"}}, "required": ["model"]},
        }
    },
}
# a catalogue long enough to be read in several parts
CATALOGUE = "\n\n".join(
    f"Page {n}. The warehouse keeps the model QX-{n} on its shelves, packed with care for shipping abroad "
    "and checked twice by the staff before it leaves."
    for n in range(1, 13)
)
EXAMPLE = {"text": "Our shop sells the model AB-7 only.", "output": {"products": [{"model": "AB-7"}]}}
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "system", "content": CATALOGUE},  # later system messages are documents
    {"role": "user", "content": "Extract every product model."},
]
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "catalogue", "schema": SCHEMA}}
OPENAI = "/compatible-mode/v1/chat/completions"
DASHSCOPE = "/api/v1/services/aigc/text-generation/generation"


class ListingFake(FakeBackend):
    """Lists the models its part names, and also the example's, as a model misled by it would."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        found = PART.search(messages[-1].content)
        models = PRODUCT.findall(found.group(1)) if found else []
        return json.dumps([{"model": m} for m in [*models, "AB-7"]])


@pytest.fixture
def model() -> ListingFake:
    return ListingFake()


@pytest.fixture
def services(model: ListingFake, tmp_path: Path, database_url: str) -> Iterator[Services]:
    with services_with_model(model, tmp_path, database_url, prompt_budget_tokens=3_000) as built:
        yield built


@pytest.fixture
def caller(services: Services) -> Iterator[Caller]:
    with TestClient(create_app(services)) as client:
        yield Caller(client, services.keys.create_key("alice"))


def openai_body(examples: Any) -> dict[str, Any]:
    return {
        "model": "qwen-long",
        "messages": MESSAGES,
        "response_format": RESPONSE_FORMAT,
        "x_extraction_examples": examples,
    }


def dashscope_body(examples: Any) -> dict[str, Any]:
    return {
        "model": "qwen-long",
        "input": {"messages": MESSAGES},
        "parameters": {
            "result_format": "message",
            "response_format": RESPONSE_FORMAT,
            "x_extraction_examples": examples,
        },
    }


def assert_examples_in_every_prompt(model: ListingFake) -> None:
    assert len(model.calls) > 1  # several parts
    for messages, _ in model.calls:
        prompt = messages[-1].content
        assert prompt.index("Example document 1:") < prompt.index(EXAMPLE["text"]) < prompt.index("<<<")
        assert prompt.index('Example answer 1:\n[{"model": "AB-7"}]') < prompt.index("<<<")


def test_the_examples_stand_before_every_part_in_both_protocols(caller: Caller, model: ListingFake) -> None:
    openai = caller.client.post(OPENAI, headers=caller.headers, json=openai_body([EXAMPLE]))
    assert openai.status_code == 200, openai.text
    assert_examples_in_every_prompt(model)
    answer = json.loads(openai.json()["choices"][0]["message"]["content"])
    expected = {"products": [{"model": f"QX-{n}"} for n in range(1, 13)]}
    assert answer == expected  # the example's model, echoed by the fake, is found in no part: dropped

    model.calls.clear()
    dashscope = caller.client.post(DASHSCOPE, headers=caller.headers, json=dashscope_body([EXAMPLE]))
    assert dashscope.status_code == 200, dashscope.text
    assert_examples_in_every_prompt(model)
    assert json.loads(dashscope.json()["output"]["choices"][0]["message"]["content"]) == expected


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        pytest.param([EXAMPLE] * 9, "holds 9 examples; at most 8", id="too many"),
        pytest.param(
            [{"input": "a", "output": {}}], "x_extraction_examples[0] must be an object", id="shape"
        ),
        pytest.param(
            [EXAMPLE, {"text": "AB-7", "output": {"products": "AB-7"}}],
            "x_extraction_examples[1].output does not match the JSON schema",
            id="output against the schema",
        ),
    ],
)
def test_an_invalid_example_is_a_400_in_both_protocols(
    caller: Caller, model: ListingFake, examples: Any, message: str
) -> None:
    openai = caller.client.post(OPENAI, headers=caller.headers, json=openai_body(examples))
    assert openai.status_code == 400, openai.text
    error = openai.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "x_extraction_examples"
    assert message in error["message"]
    dashscope = caller.client.post(DASHSCOPE, headers=caller.headers, json=dashscope_body(examples))
    assert dashscope.status_code == 400, dashscope.text
    assert dashscope.json()["code"] == "InvalidParameter"
    assert message in dashscope.json()["message"]
    assert model.calls == []  # refused before any part was read


def test_examples_on_a_request_that_is_no_extraction_are_ignored(caller: Caller, model: ListingFake) -> None:
    body = {"model": "qwen-long", "messages": MESSAGES, "x_extraction_examples": [EXAMPLE]}
    response = caller.client.post(OPENAI, headers=caller.headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["x_context"]["plan"] != "extract"
    assert all("Example document" not in m.content for messages, _ in model.calls for m in messages)


def test_batch_lines_take_examples_too(caller: Caller, services: Services, model: ListingFake) -> None:
    lines = [
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": openai_body(examples),
        }
        for custom_id, examples in (("good", [EXAMPLE]), ("bad", [EXAMPLE] * 9))
    ]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    file_id = caller.upload("requests.jsonl", data, purpose="batch")["id"]
    created = caller.client.post(
        "/v1/batches",
        headers=caller.headers,
        json={"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    )
    assert created.status_code == 200, created.text
    drain_jobs(services)
    batch = caller.client.get(f"/v1/batches/{created.json()['id']}", headers=caller.headers).json()
    assert batch["request_counts"] == {"total": 2, "completed": 1, "failed": 1}
    assert_examples_in_every_prompt(model)
    errors = caller.client.get(f"/v1/files/{batch['error_file_id']}/content", headers=caller.headers)
    (failed,) = [json.loads(line) for line in errors.text.splitlines()]
    assert failed["custom_id"] == "bad" and failed["response"]["status_code"] == 400
    assert failed["response"]["body"]["error"]["param"] == "x_extraction_examples"
