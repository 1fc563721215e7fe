"""Extraction through the real app with fake models: a list spread over the 236 pages of a real
PDF comes back whole, once per item, in document order, each item grounded to its page."""

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

DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
# What the "model" is asked to list: R's C entry points, named all over R-exts.pdf.
ENTRY_POINT = re.compile(r"\bR_[A-Z][A-Za-z]{3,}\b")
PART = re.compile(r"<<<\n(.*)\n>>>", re.DOTALL)
SCHEMA = {
    "type": "array",
    "items": {"type": "object", "properties": {"function": {"type": "string"}}, "required": ["function"]},
}


class ReadingFake(FakeBackend):
    """A fake model that really reads the part it is given, and repeats itself like a small model."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        found = PART.search(messages[-1].content)
        names = ENTRY_POINT.findall(found.group(1)) if found else []
        others = dict.fromkeys((params.json_schema or {}).get("items", {}).get("required", []))
        return json.dumps([{**others, "function": name} for name in names])  # every mention, repeats included


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    with services_with_model(ReadingFake(), tmp_path, database_url, prompt_budget_tokens=3_000) as built:
        yield built


@pytest.fixture
def caller(services: Services) -> Iterator[Caller]:
    with TestClient(create_app(services)) as client:
        yield Caller(client, services.keys.create_key("alice"))


def extract(caller: Caller, file_id: str, prompt: str, **extra: Any) -> dict[str, Any]:
    messages = [{"role": "system", "content": f"fileid://{file_id}"}, {"role": "user", "content": prompt}]
    response = caller.client.post(
        "/compatible-mode/v1/chat/completions",
        headers=caller.headers,
        json={"model": "qwen-long", "messages": messages, **extra},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_list_over_many_pages_is_merged_whole_and_once(caller: Caller, services: Services) -> None:
    file_id = str(caller.upload("R-exts.pdf", (DOCUMENTS / "R-exts.pdf").read_bytes())["id"])
    drain_jobs(services)
    _, document = services.library.parsed(services.keys.authenticate(caller.key).account_id, file_id)
    mentions = ENTRY_POINT.findall(document.text)
    # a repeat is the same name however cased (R_VERSION is R_Version), kept as first written
    first: dict[str, str] = {}
    for name in mentions:
        first.setdefault(name.casefold(), name)
    expected = list(first.values())
    assert len(mentions) > len(expected) > 40  # a long list, much repeated

    body = extract(
        caller,
        file_id,
        "List every C entry point named in this manual.",
        response_format={"type": "json_schema", "json_schema": {"name": "entry_points", "schema": SCHEMA}},
        x_grounding=True,
        x_dedupe_keys=["function"],
    )
    items = json.loads(body["choices"][0]["message"]["content"])
    assert [item["function"] for item in items] == expected  # whole, once each, in document order
    pages = set()
    for item in items:
        assert item["_source"], item
        for source in item["_source"]:
            assert source["file_id"] == file_id and source["match"] == "exact"
            assert document.text[source["start"] : source["end"]] == source["text"]
            assert source["text"].casefold() == item["function"].casefold()
            assert source["page"] == document.page_at(source["start"])
            pages.add(source["page"])
    assert len(pages) > 40  # the list spans many pages
    context = body["x_context"]
    assert context["plan"] == "extract" and context["fallback"] is None
    assert len(context["passages"]) > 40 and context["passages"][-1]["end"] <= len(document.text)


def test_streaming_keeps_the_line_alive_and_sends_the_json_once(caller: Caller, services: Services) -> None:
    names = [f"R_Widget{chr(65 + n // 26)}{chr(97 + n % 26)}" for n in range(120)]
    text = "\n\n".join(f"Section {n}. The function {name} is new." for n, name in enumerate(names))
    file_id = str(caller.upload("list.txt", text.encode())["id"])
    drain_jobs(services)
    messages = [
        {"role": "system", "content": f"fileid://{file_id}"},
        {"role": "user", "content": "Extract all functions as JSON."},
    ]
    with caller.client.stream(
        "POST",
        "/compatible-mode/v1/chat/completions",
        headers=caller.headers,
        json={
            "model": "qwen-long",
            "messages": messages,
            "stream": True,
            "response_format": {"type": "json_schema", "json_schema": {"schema": SCHEMA}},
        },
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    progress = [line for line in lines if line.startswith(": progress")]
    assert progress and progress[-1].split()[-1].split("/")[0] == progress[-1].split()[-1].split("/")[1]
    chunks = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    contents = [
        c["choices"][0]["delta"].get("content")
        for c in chunks
        if c["choices"] and c["choices"][0]["delta"].get("content")
    ]
    assert len(contents) == 1
    assert [i["function"] for i in json.loads(contents[0])] == names


def test_qwen_doc_turbo_extracts_when_the_instruction_asks_for_json(
    caller: Caller, services: Services
) -> None:
    text = "Catalogue\n\nThe R_Alpha entry point.\n\nThe R_Bravo entry point, and R_Alpha again."
    file_id = str(caller.upload("c.txt", text.encode())["id"])
    drain_jobs(services)
    messages = [
        {"role": "system", "content": f"fileid://{file_id}"},
        {
            "role": "user",
            "content": "Extract all entry points as a JSON array; each object has function and note",
        },
    ]
    response = caller.client.post(
        "/compatible-mode/v1/chat/completions",
        headers=caller.headers,
        json={"model": "qwen-doc-turbo", "messages": messages},
    )
    value = json.loads(response.json()["choices"][0]["message"]["content"])
    assert [v["function"] for v in value] == ["R_Alpha", "R_Bravo"]
    # the part schema the model was held to: strings or null, every field present
    params = services.backends["embedded"].calls[-1][1]  # type: ignore[attr-defined]
    assert params.json_schema["items"]["required"] == ["function", "note"]


def test_json_object_mode_answers_an_object_holding_the_list(caller: Caller, services: Services) -> None:
    # OpenAI's json_object mode promises an object: a derived list goes under what it lists,
    # unless the instruction asks for an array
    text = "Catalogue\n\nThe R_Alpha entry point.\n\nThe R_Bravo entry point, and R_Alpha again."
    file_id = str(caller.upload("c.txt", text.encode())["id"])
    drain_jobs(services)
    json_object = {"response_format": {"type": "json_object"}}
    listed = extract(caller, file_id, "Extract all entry points; each has function and note.", **json_object)
    value = json.loads(listed["choices"][0]["message"]["content"])
    assert list(value) == ["entry_points"]
    assert [v["function"] for v in value["entry_points"]] == ["R_Alpha", "R_Bravo"]
    array = "Extract all entry points as a JSON array; each object has function and note"
    value = json.loads(extract(caller, file_id, array, **json_object)["choices"][0]["message"]["content"])
    assert [v["function"] for v in value] == ["R_Alpha", "R_Bravo"]
