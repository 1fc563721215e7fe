"""Through the real app: an extraction whose model stays down fails in the caller's protocol (no
partial 200), and one whose part gives invalid JSON says which part in ``x_context.failed_parts``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.core.errors import ModelUnavailable
from longdoc.inference.base import ChatMessage, GenerationParams
from longdoc.inference.fake import FakeBackend
from support.callers import Caller
from support.fakes import services_with_model

TEXT = "Price list. " + "Item SKU A-1 costs 5 EUR. " * 60 + "Item SKU B-2 costs 7 EUR. " * 60
SCHEMA = {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "system", "content": TEXT},
    {"role": "user", "content": "List every item's SKU."},
]
FORMAT = {"type": "json_schema", "json_schema": {"name": "items", "schema": SCHEMA}}


class DownModel(FakeBackend):
    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        raise ModelUnavailable(
            "the embedded model process died (signal 9, SIGKILL); it is restarting", retry_after=0
        )


class GarblingModel(FakeBackend):
    """Answers parts holding B-2 with prose instead of JSON."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        part = messages[-1].content
        if "B-2" in part.split("<<<", 1)[-1]:
            return "Sorry, I cannot help with that."
        return json.dumps([{"sku": "A-1"}])


def post(client: TestClient, caller: Caller, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(path, headers={**caller.headers, **headers}, json=body)


def test_a_model_that_stays_down_fails_the_request_in_both_protocols(
    tmp_path: Path, database_url: str
) -> None:
    with (
        services_with_model(DownModel(), tmp_path, database_url, prompt_budget_tokens=600) as services,
        TestClient(create_app(services)) as client,
    ):
        caller = Caller(client, services.keys.create_key("alice"))
        openai = post(
            client,
            caller,
            "/compatible-mode/v1/chat/completions",
            {"model": "qwen-long", "messages": MESSAGES, "response_format": FORMAT},
        )
        stream = post(
            client,
            caller,
            "/api/v1/services/aigc/text-generation/generation",
            {
                "model": "qwen-long",
                "input": {"messages": MESSAGES},
                "parameters": {"response_format": FORMAT},
            },
            **{"X-DashScope-SSE": "enable"},
        )
    assert openai.status_code == 503, openai.text
    assert openai.json()["error"]["code"] == "model_unavailable"
    assert "the extraction stopped at part" in openai.json()["error"]["message"]
    assert "event:error" in stream.text and "ModelUnavailable" in stream.text
    assert '"finish_reason":"stop"' not in stream.text.replace(" ", "")


def test_a_part_without_valid_json_is_listed_in_x_context(tmp_path: Path, database_url: str) -> None:
    with (
        services_with_model(GarblingModel(), tmp_path, database_url, prompt_budget_tokens=600) as services,
        TestClient(create_app(services)) as client,
    ):
        caller = Caller(client, services.keys.create_key("alice"))
        response = post(
            client,
            caller,
            "/compatible-mode/v1/chat/completions",
            {"model": "qwen-long", "messages": MESSAGES, "response_format": FORMAT},
        )
    assert response.status_code == 200, response.text
    context = response.json()["x_context"]
    assert context["failed_parts"], context
    read = {p["start"] for p in context["passages"]}
    for failed in context["failed_parts"]:
        assert failed["reason"] and failed["start"] in read and failed["part"] >= 1
        assert "B-2" in TEXT[failed["start"] : failed["end"]]
