"""The OpenAI-compatible upstream backend against llama-cpp-python's own server, and error mapping."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest

from longdoc.core.errors import InvalidRequest, LongdocError, ModelUnavailable, RateLimited
from longdoc.inference.base import ChatMessage, GenerationParams, StreamEnd, TokenDelta
from longdoc.inference.json_guard import SchemaValidatingBackend
from longdoc.inference.upstream import OpenAIUpstreamBackend
from support.llama import free_port

QUESTION = [
    ChatMessage(role="system", content="You are a helpful assistant."),
    ChatMessage(role="user", content="What is the capital of France? Answer in one word."),
]
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def upstream(llama_server: str) -> Iterator[OpenAIUpstreamBackend]:
    backend = OpenAIUpstreamBackend(
        llama_server, "tiny", supports_json_schema=True, schema_format="json_object_schema"
    )
    yield backend
    backend.close()


def test_streams_text_and_reports_usage(upstream: OpenAIUpstreamBackend) -> None:
    events = list(upstream.stream(QUESTION, GenerationParams(temperature=0.0, max_tokens=16, seed=1)))
    deltas = [e for e in events if isinstance(e, TokenDelta)]
    end = events[-1]
    assert len(deltas) >= 1 and "Paris" in "".join(d.text for d in deltas)
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    # llama-cpp-python's server sends no usage chunk, so these are the backend's estimates
    assert end.usage.prompt_tokens > 10 and end.usage.completion_tokens >= 1


def test_max_tokens_is_length(upstream: OpenAIUpstreamBackend) -> None:
    story = [ChatMessage(role="user", content="Write a long story about a lighthouse.")]
    answer = upstream.complete(story, GenerationParams(temperature=0.0, max_tokens=6))
    assert answer.finish_reason == "length"


def test_json_schema_passes_through_to_constrained_decoding(upstream: OpenAIUpstreamBackend) -> None:
    messages = [ChatMessage(role="user", content="Paris as JSON with city and country.")]
    answer = upstream.complete(messages, GenerationParams(temperature=0.0, max_tokens=60, json_schema=SCHEMA))
    jsonschema.validate(json.loads(answer.text), SCHEMA)


def test_schema_check_over_an_upstream_without_schema_support(llama_server: str) -> None:
    # the upstream is told only "JSON object"; the wrapper validates and would ask again
    plain = OpenAIUpstreamBackend(llama_server, "tiny", supports_json_schema=False)
    guarded = SchemaValidatingBackend(plain, retries=2)
    messages = [ChatMessage(role="user", content="Give the city Paris and its country.")]
    answer = guarded.complete(messages, GenerationParams(temperature=0.0, max_tokens=60, json_schema=SCHEMA))
    jsonschema.validate(json.loads(answer.text), SCHEMA)
    plain.close()


def test_cancel_hangs_up(upstream: OpenAIUpstreamBackend) -> None:
    cancel = threading.Event()
    story = [ChatMessage(role="user", content="Write a long story about a lighthouse.")]
    events = []
    for event in upstream.stream(story, GenerationParams(temperature=0.0, max_tokens=300), cancel):
        events.append(event)
        if len(events) == 3:
            cancel.set()
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "cancelled"
    assert len(events) == 4
    # the server is free again for the next request
    assert "Paris" in upstream.complete(QUESTION, GenerationParams(temperature=0.0, max_tokens=8)).text


def test_request_body_is_openai_shaped() -> None:
    backend = OpenAIUpstreamBackend("http://127.0.0.1:9/v1/", "m")
    params = GenerationParams(max_tokens=5, top_k=3, stop=("x",), json_schema=SCHEMA)
    body = backend.request_body(QUESTION, params)
    assert body["stream"] and body["stream_options"] == {"include_usage": True}
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert (body["max_tokens"], body["top_k"], body["stop"]) == (5, 3, ["x"])
    assert "temperature" not in body and "repetition_penalty" not in body
    assert backend.base_url == "http://127.0.0.1:9/v1"


class ScriptedErrors(BaseHTTPRequestHandler):
    """A real HTTP server answering /{status}/chat/completions with that status."""

    def do_POST(self) -> None:
        status = int(self.path.split("/")[1])
        body = json.dumps({"error": {"message": f"scripted {status}", "type": "x"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status in (429, 503):
            self.send_header("Retry-After", "7")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def error_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedErrors)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "error", "retry_after"),
    [
        (429, RateLimited, 7.0),
        (503, ModelUnavailable, 7.0),
        (500, ModelUnavailable, None),
        (400, InvalidRequest, None),
        (401, LongdocError, None),
    ],
)
def test_upstream_statuses_map_onto_the_error_tree(
    error_server: str, status: int, error: type[LongdocError], retry_after: float | None
) -> None:
    backend = OpenAIUpstreamBackend(f"{error_server}/{status}", "m")
    with pytest.raises(error) as caught:
        next(backend.stream(QUESTION, GenerationParams()))
    assert type(caught.value) is error
    assert f"scripted {status}" in caught.value.message
    assert caught.value.retry_after == retry_after
    backend.close()


def test_connection_refused_is_model_unavailable() -> None:
    backend = OpenAIUpstreamBackend(f"http://127.0.0.1:{free_port()}/v1", "m", connect_timeout_seconds=2)
    with pytest.raises(ModelUnavailable, match="unreachable"):
        next(backend.stream(QUESTION, GenerationParams()))
    backend.close()
