"""Extraction through the real app with no profile named: values any schema may ask for — codes
that are function words, product names, Chinese names, a summary's clauses, a quoted filename, a
trade name, lower-case features — come back as the document writes them (issue #16)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.inference.base import ChatMessage, GenerationParams
from longdoc.inference.fake import FakeBackend
from support.callers import Caller
from support.extraction import NEUTRAL_TEXT, NEUTRAL_VALUES, schema_of
from support.fakes import extracted, services_with_model


class CopyingFake(FakeBackend):
    """Answers every part with the values as the text writes them."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        return json.dumps(NEUTRAL_VALUES, ensure_ascii=False)


def test_an_object_keeps_every_value_its_document_writes(tmp_path: Path, database_url: str) -> None:
    wanted = {"type": "json_schema", "json_schema": {"name": "report", "schema": schema_of(NEUTRAL_VALUES)}}
    answer = extracted(
        CopyingFake(), tmp_path, database_url, NEUTRAL_TEXT, "Extract the report's data.", wanted
    )
    assert answer == NEUTRAL_VALUES


def test_an_unknown_profile_is_refused_in_both_protocols(tmp_path: Path, database_url: str) -> None:
    schema = {"type": "object", "properties": {"state": {"type": "string"}}}
    with (
        services_with_model(CopyingFake(), tmp_path, database_url, prompt_budget_tokens=3_000) as services,
        TestClient(create_app(services)) as client,
    ):
        caller = Caller(client, services.keys.create_key("alice"))
        messages = [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": NEUTRAL_TEXT},
            {"role": "user", "content": "Extract the state."},
        ]
        response_format = {"type": "json_schema", "json_schema": {"name": "report", "schema": schema}}
        openai = client.post(
            "/compatible-mode/v1/chat/completions",
            headers=caller.headers,
            json={
                "model": "qwen-long",
                "messages": messages,
                "response_format": response_format,
                "x_extraction_profile": "legal",
            },
        )
        dashscope = client.post(
            "/api/v1/services/aigc/text-generation/generation",
            headers=caller.headers,
            json={
                "model": "qwen-long",
                "input": {"messages": messages},
                "parameters": {"response_format": response_format, "x_extraction_profile": "legal"},
            },
        )
    assert openai.status_code == 400, openai.text
    assert openai.json()["error"]["param"] == "x_extraction_profile"
    assert "unknown extraction profile 'legal'" in openai.json()["error"]["message"]
    assert "contracts" in openai.json()["error"]["message"]
    assert dashscope.status_code == 400, dashscope.text
    assert dashscope.json()["code"] == "InvalidParameter"
    assert "unknown extraction profile 'legal'" in dashscope.json()["message"]


ENGLISH = (("型号", "model"), ("名称", "name"), ("价格", "price"), ("产品", "product"))


class NamingFake(FakeBackend):
    """Names the keys of a Chinese instruction in English, and lists the catalogue's products."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        asked = messages[-1].content
        named = [key for name, key in ENGLISH if f'holds "{name}"' in asked]
        if named:
            return json.dumps(named[0])
        return json.dumps([{"model": "X100", "name": "云帆平板", "price": "¥2,999"}], ensure_ascii=False)


def test_a_chinese_instruction_without_a_schema_answers_with_english_keys(
    tmp_path: Path, database_url: str
) -> None:
    catalogue = "产品目录\n型号 X100 云帆平板 价格 ¥2,999"
    ask = "提取所有产品的型号、名称和价格。"
    answer = extracted(NamingFake(), tmp_path, database_url, catalogue, ask, {"type": "json_object"})
    assert answer == {"products": [{"model": "X100", "name": "云帆平板", "price": "¥2,999"}]}
