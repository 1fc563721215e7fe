"""DashScope generation through the real app with the deterministic fake model: shapes, SSE framing,
documents (fileid:// and doc_url), limits and error envelopes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.inference.fake import FakeBackend
from longdoc.services import Services, build_services
from support.callers import Caller
from support.doc_server import DocServer
from support.jobs import drain_jobs

ROUTE = "/api/v1/services/aigc/text-generation/generation"
SSE = {"X-DashScope-SSE": "enable"}
MANUAL = "The X1 drill has a warranty of 24 months.\nIts price is 8999 yuan.\n"
EVENT = re.compile(r"id:(\d+)\nevent:(result|error)\n:HTTP_STATUS/(\d{3})\ndata:(.*)\n\n")


def ds_settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        storage={"database_url": database_url},
        inference={"backends": {"embedded": {"kind": "fake", "context_window": 8192}}},
        fetch_allow=["127.0.0.1"],
    )


@pytest.fixture(scope="module")
def ds_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One app for the tests whose store does not matter (SQLite)."""
    folder = tmp_path_factory.mktemp("dashscope")
    built = build_services(ds_settings(folder / "data", f"sqlite:///{folder / 'longdoc.db'}"))
    yield built
    built.close()


@pytest.fixture(scope="module")
def caller(ds_services: Services) -> Iterator[Caller]:
    with TestClient(create_app(ds_services)) as client:
        yield Caller(client, ds_services.keys.create_key("alice"))


@pytest.fixture
def store_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    """A fresh app on each store (SQLite and PostgreSQL), for documents and their cache."""
    built = build_services(ds_settings(tmp_path / "data", database_url))
    yield built
    built.close()


@pytest.fixture
def store_caller(store_services: Services) -> Iterator[Caller]:
    with TestClient(create_app(store_services)) as client:
        yield Caller(client, store_services.keys.create_key("alice"))


@pytest.fixture
def docs() -> Iterator[DocServer]:
    with DocServer() as server:
        yield server


def fake(services: Services) -> FakeBackend:
    backend = services.backends["embedded"]
    assert isinstance(backend, FakeBackend)
    return backend


def body(
    content: Any, model: str = "qwen-doc-turbo", system: str | None = None, **parameters: Any
) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": content})
    return {"model": model, "input": {"messages": messages}, "parameters": parameters}


def post(caller: Caller, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return caller.client.post(ROUTE, headers={**caller.headers, **(headers or {})}, json=payload)


def events(text: str) -> list[tuple[int, str, int, dict[str, Any]]]:
    """The events of an SSE body, asserting that nothing else is in it."""
    matches = list(EVENT.finditer(text))
    assert "".join(m.group(0) for m in matches) == text, text
    return [(int(m[1]), m[2], int(m[3]), json.loads(m[4])) for m in matches]


def assert_dashscope_error(
    response: Any, status: int, code: str, message: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()
    assert set(error) == {"code", "message", "request_id"}, error
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    if message is not None:
        assert error["message"] == message
    return error


# -- shapes


def test_text_is_the_default_result_format(caller: Caller) -> None:
    response = post(caller, body("What is the warranty?"))
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["output"] == {"text": "What is the warranty?", "finish_reason": "stop"}
    assert out["request_id"] == response.headers["x-request-id"]
    usage = out["usage"]
    assert usage["output_tokens"] == 4
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}


def test_message_result_format(caller: Caller) -> None:
    out = post(caller, body([{"type": "text", "text": "Say hi"}], result_format="message")).json()
    assert out["output"] == {
        "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "Say hi"}}]
    }
    assert set(out) >= {"output", "usage", "request_id"}


def test_parameters_reach_the_model(caller: Caller, ds_services: Services) -> None:
    out = post(
        caller,
        body(
            "one two three four five",
            max_tokens=2,
            temperature=0.3,
            top_p=0.9,
            top_k=20,
            seed=7,
            stop=["five"],
            repetition_penalty=1.1,
        ),
    ).json()
    assert out["output"] == {"text": "one two ", "finish_reason": "length"}
    params = fake(ds_services).calls[-1][1]
    assert (params.max_tokens, params.temperature, params.top_p, params.top_k, params.seed) == (
        2,
        0.3,
        0.9,
        20,
        7,
    )
    assert params.stop == ("five",) and params.repetition_penalty == 1.1


def test_json_object_response_format(caller: Caller) -> None:
    out = post(caller, body("hello", response_format={"type": "json_object"})).json()
    assert json.loads(out["output"]["text"]) == {"echo": "hello"}


def test_prompt_input_is_a_user_message(caller: Caller) -> None:
    payload = {"model": "qwen-long", "input": {"prompt": "just a prompt"}}
    assert post(caller, payload).json()["output"]["text"] == "just a prompt"


# -- streaming


@pytest.mark.parametrize("headers", [SSE, {"Accept": "text/event-stream"}])
def test_streaming_frames_every_event_like_the_service(caller: Caller, headers: dict[str, str]) -> None:
    response = post(
        caller, body("alpha beta gamma", result_format="message", incremental_output=True), headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream;charset=UTF-8"
    found = events(response.text)
    assert [e[0] for e in found] == list(range(1, len(found) + 1))
    assert all(kind == "result" and status == 200 for _, kind, status, _ in found)
    datas = [e[3] for e in found]
    assert {d["request_id"] for d in datas} == {response.headers["x-request-id"]}
    choices = [d["output"]["choices"][0] for d in datas]
    assert [c["finish_reason"] for c in choices] == ["null", "null", "null", "stop"]
    assert [c["message"]["content"] for c in choices] == ["alpha ", "beta ", "gamma", ""]
    outputs = [d["usage"]["output_tokens"] for d in datas]
    assert outputs == [1, 2, 3, 3]  # cumulative
    assert {d["usage"]["input_tokens"] for d in datas} == {datas[-1]["usage"]["input_tokens"]}
    assert all(
        d["usage"]["total_tokens"] == d["usage"]["input_tokens"] + d["usage"]["output_tokens"] for d in datas
    )


def test_streaming_without_incremental_output_sends_the_text_so_far(caller: Caller) -> None:
    response = post(caller, body("alpha beta gamma"), SSE)
    outputs = [e[3]["output"] for e in events(response.text)]
    assert outputs == [
        {"text": "alpha ", "finish_reason": "null"},
        {"text": "alpha beta ", "finish_reason": "null"},
        {"text": "alpha beta gamma", "finish_reason": "null"},
        {"text": "alpha beta gamma", "finish_reason": "stop"},
    ]


def test_parameters_stream_alone_does_not_stream(caller: Caller) -> None:
    response = post(caller, body("alpha", stream=True))
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["output"]["text"] == "alpha"


def test_a_failure_after_the_start_is_an_error_event(
    caller: Caller, ds_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from longdoc.core.errors import ModelUnavailable
    from longdoc.inference.base import TokenDelta

    def failing(prepared: object, cancel: object = None, *, progress: bool = False) -> Iterator[object]:
        yield TokenDelta("partial ")
        raise ModelUnavailable("The model stopped answering.")

    monkeypatch.setattr(ds_services.chat, "stream", failing)
    response = post(caller, body("anything", result_format="message", incremental_output=True), SSE)
    assert response.status_code == 200
    found = events(response.text)
    assert [(i, kind, status) for i, kind, status, _ in found] == [(1, "result", 200), (2, "error", 503)]
    assert found[1][3] == {
        "code": "ModelUnavailable",
        "message": "The model stopped answering.",
        "request_id": response.headers["x-request-id"],
    }


def test_errors_before_the_stream_keep_their_status(caller: Caller) -> None:
    response = post(caller, body("hi", model="qwen-nonexistent"), SSE)
    assert_dashscope_error(response, 404, "ModelNotFound")


def test_the_sdk_parses_our_stream(
    caller: Caller, ds_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashscope SDK's own SSE reader, fed our bytes: results, then an error event."""
    import io

    import requests
    from dashscope.common.utils import _handle_stream

    from longdoc.core.errors import ModelUnavailable
    from longdoc.inference.base import TokenDelta

    def failing(prepared: object, cancel: object = None, *, progress: bool = False) -> Iterator[object]:
        yield TokenDelta("partial ")
        raise ModelUnavailable("The model stopped answering.")

    monkeypatch.setattr(ds_services.chat, "stream", failing)
    raw = post(caller, body("x", incremental_output=True), SSE).content
    response = requests.Response()
    response.raw = io.BytesIO(raw)
    parsed = [
        (is_error, status, json.loads(event.data)) for is_error, status, event in _handle_stream(response)
    ]
    assert parsed[0][0] is False and parsed[0][2]["output"]["text"] == "partial "
    assert parsed[1][0] is True and parsed[1][2]["code"] == "ModelUnavailable"


# -- documents


def test_a_fileid_system_message(store_caller: Caller, store_services: Services) -> None:
    file = store_caller.upload("manual.txt", MANUAL.encode())
    drain_jobs(store_services)
    tokens = store_caller.client.get(f"/v1/files/{file['id']}", headers=store_caller.headers).json()[
        "x_tokens"
    ]
    out = post(
        store_caller,
        {
            "model": "qwen-long",
            "input": {
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "system", "content": f"fileid://{file['id']}"},
                    {"role": "user", "content": "What is the warranty?"},
                ]
            },
            "parameters": {"result_format": "message"},
        },
    ).json()
    assert out["usage"]["input_tokens"] > tokens
    assert out["x_context"]["passages"][0]["file_id"] == file["id"]
    system = fake(store_services).calls[-1][0][0].content
    assert "24 months" in system and file["id"] in system


def test_a_file_still_parsing(store_caller: Caller) -> None:
    file = store_caller.upload("manual.txt", MANUAL.encode())
    payload = body("q", model="qwen-long", system=None)
    payload["input"]["messages"].insert(0, {"role": "system", "content": f"fileid://{file['id']}"})
    assert_dashscope_error(
        post(store_caller, payload),
        400,
        "InvalidParameter",
        "File parsing in progress, please try again later.",
    )


def test_doc_urls_are_fetched_read_and_billed(
    store_caller: Caller, store_services: Services, docs: DocServer
) -> None:
    a = docs.add("/A.txt", MANUAL.encode())
    b = docs.add("/B.txt", b"The Y2 grinder costs 1299 yuan.\n")
    out = post(
        store_caller,
        body(
            [
                {"type": "text", "text": "List the prices."},
                {"type": "doc_url", "doc_url": [a, b], "file_parsing_strategy": "auto"},
            ],
            system="You are a helpful assistant.",
            result_format="message",
        ),
    ).json()
    assert out["output"]["choices"][0]["message"]["content"] == "List the prices."
    system = fake(store_services).calls[-1][0][0].content
    assert f'name="A.txt" url="{a}"' in system and f'name="B.txt" url="{b}"' in system
    assert system.index("24 months") < system.index("1299 yuan")
    doc_tokens = store_services.tokens.count(MANUAL) + store_services.tokens.count(
        "The Y2 grinder costs 1299 yuan.\n"
    )
    assert out["usage"]["input_tokens"] >= doc_tokens
    assert [p["document"] for p in out["x_context"]["passages"]] == ["A.txt", "B.txt"]


def test_a_repeated_doc_url_call_does_not_fetch_or_parse_again(store_caller: Caller, docs: DocServer) -> None:
    url = docs.add("/A.txt", MANUAL.encode(), headers={"ETag": '"a1"'})
    payload = body([{"type": "text", "text": "q"}, {"type": "doc_url", "doc_url": [url]}])
    first, second = post(store_caller, payload).json(), post(store_caller, payload).json()
    assert first["usage"] == second["usage"]
    assert [s.status for s in docs.requests_for("/A.txt")] == [200, 304]


def test_doc_urls_mid_conversation_keep_their_place(
    caller: Caller, ds_services: Services, docs: DocServer
) -> None:
    a = docs.add("/first.txt", b"First document.\n")
    b = docs.add("/second.txt", b"Second document.\n")
    post(
        caller,
        {
            "model": "qwen-long",
            "input": {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "one"}, {"type": "doc_url", "doc_url": [a]}],
                    },
                    {"role": "assistant", "content": "ok"},
                    {
                        "role": "user",
                        "content": [{"type": "doc_url", "doc_url": [b]}, {"type": "text", "text": "two"}],
                    },
                ]
            },
        },
    )
    system = fake(ds_services).calls[-1][0][0].content
    assert system.index('index="1" name="first.txt"') < system.index('index="2" name="second.txt"')


# -- limits and errors


def test_an_invalid_key(caller: Caller) -> None:
    response = caller.client.post(ROUTE, headers={"Authorization": "Bearer sk-wrong"}, json=body("hi"))
    assert_dashscope_error(response, 401, "InvalidApiKey", "Invalid API-key provided.")


def test_no_key(caller: Caller) -> None:
    assert_dashscope_error(caller.client.post(ROUTE, json=body("hi")), 401, "InvalidApiKey")


def test_an_unknown_model_fails_before_any_fetch(caller: Caller, docs: DocServer) -> None:
    url = docs.add("/A.txt", MANUAL.encode())
    response = post(caller, body([{"type": "doc_url", "doc_url": [url]}], model="qwen-max-nonexistent"))
    assert_dashscope_error(response, 404, "ModelNotFound")
    assert docs.seen == []


def test_eleven_urls(caller: Caller, docs: DocServer) -> None:
    urls = [docs.add(f"/{i}.txt", b"x\n") for i in range(11)]
    response = post(caller, body([{"type": "text", "text": "q"}, {"type": "doc_url", "doc_url": urls}]))
    error = assert_dashscope_error(response, 400, "InvalidParameter")
    assert "at most 10" in error["message"]
    assert docs.seen == []


def test_a_url_that_answers_404(caller: Caller, docs: DocServer) -> None:
    url = docs.url("/gone.docx")
    response = post(caller, body([{"type": "text", "text": "q"}, {"type": "doc_url", "doc_url": [url]}]))
    assert_dashscope_error(
        response, 400, "InvalidParameter", f"Failed to fetch doc_url {url}: the server answered 404 Not Found"
    )


@pytest.mark.parametrize("url", ["http://192.168.10.20/a.docx", "http://169.254.169.254/latest/meta-data/"])
def test_a_private_address_is_refused(caller: Caller, url: str) -> None:
    response = post(caller, body([{"type": "text", "text": "q"}, {"type": "doc_url", "doc_url": [url]}]))
    error = assert_dashscope_error(response, 400, "InvalidParameter")
    assert error["message"].startswith(f"doc_url {url} is refused:")


def test_a_doc_url_over_the_size_limit(tmp_path: Path, docs: DocServer) -> None:
    settings = Settings(
        data_dir=tmp_path / "small",
        inference={"backends": {"embedded": {"kind": "fake"}}},
        limits={"document_bytes": 1000},
        fetch_allow=["127.0.0.1"],
    )
    services = build_services(settings)
    try:
        with TestClient(create_app(services)) as client:
            caller = Caller(client, services.keys.create_key("alice"))
            url = docs.add("/big.txt", b"word " * 1000)
            response = post(
                caller, body([{"type": "doc_url", "doc_url": [url]}, {"type": "text", "text": "q"}])
            )
            assert_dashscope_error(response, 400, "BadRequest.TooLarge")
    finally:
        services.close()


def test_qwen_doc_turbo_takes_one_file_id(store_caller: Caller, store_services: Services) -> None:
    ids = [store_caller.upload(f"m{i}.txt", MANUAL.encode())["id"] for i in range(2)]
    drain_jobs(store_services)
    payload = body("q")
    payload["input"]["messages"].insert(
        0, {"role": "system", "content": ",".join(f"fileid://{i}" for i in ids)}
    )
    error = assert_dashscope_error(post(store_caller, payload), 400, "InvalidParameter")
    assert "at most 1" in error["message"]


def test_qwen_doc_turbo_plain_text_limit(caller: Caller) -> None:
    payload = body("q")
    payload["input"]["messages"][:0] = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "system", "content": "word " * 9500},
    ]
    assert_dashscope_error(post(caller, payload), 400, "BadRequest.TooLarge")


def test_qwen_doc_turbo_input_limit_counts_doc_urls(caller: Caller, docs: DocServer) -> None:
    url = docs.add("/huge.txt", ("lorem ipsum dolor " * 90_000).encode())
    response = post(caller, body([{"type": "text", "text": "q"}, {"type": "doc_url", "doc_url": [url]}]))
    error = assert_dashscope_error(response, 400, "BadRequest.TooLarge")
    assert "253,952" in error["message"]


@pytest.mark.parametrize(
    ("parameters", "fragment"),
    [({"temperature": 5}, "parameters.temperature"), ({"result_format": "xml"}, "parameters.result_format")],
)
def test_invalid_parameters(caller: Caller, parameters: dict[str, Any], fragment: str) -> None:
    error = assert_dashscope_error(post(caller, body("hi", **parameters)), 400, "InvalidParameter")
    assert fragment in error["message"]


def test_an_unsupported_content_part(caller: Caller) -> None:
    response = post(caller, body([{"type": "image_url", "image_url": {"url": "http://x/a.png"}}]))
    error = assert_dashscope_error(response, 400, "InvalidParameter")
    assert "image_url" in error["message"]


def test_missing_input(caller: Caller) -> None:
    assert_dashscope_error(post(caller, {"model": "qwen-long"}), 400, "InvalidParameter")


# -- long doc_url documents: the context engine's plans


@pytest.fixture
def small_window(tmp_path: Path) -> Iterator[Caller]:
    """A fake model that reads at most 3,000 prompt tokens, so long documents need a plan."""
    backend = {"kind": "fake", "context_window": 8192, "prompt_budget_tokens": 3000}
    settings = Settings(
        data_dir=tmp_path / "small-window",
        inference={"backends": {"embedded": backend}},
        fetch_allow=["127.0.0.1"],
    )
    services = build_services(settings)
    try:
        with TestClient(create_app(services)) as client:
            yield Caller(client, services.keys.create_key("alice"))
    finally:
        services.close()


def long_manual() -> bytes:
    sections = [
        f"Section {i}. The part numbered P-{i:04d} is made of steel grade {i % 7} and weighs {i * 3} grams."
        for i in range(1, 900)
    ]
    sections[612] = "Section 613. The secret calibration code of the X1 drill is 7F3K-491."
    return "\n\n".join(sections).encode()


def test_a_long_doc_url_is_retrieved_from(small_window: Caller, docs: DocServer) -> None:
    url = docs.add("/long.txt", long_manual())
    payload = body(
        [{"type": "text", "text": "What is the secret calibration code of the X1 drill?"},
         {"type": "doc_url", "doc_url": [url]}],
        model="qwen-long", x_context_strategy="retrieve",
    )  # fmt: skip
    out = post(small_window, payload).json()
    assert out["x_context"]["plan"] == "retrieve"
    assert any(p["document"] == "long.txt" for p in out["x_context"]["passages"])
    assert out["usage"]["input_tokens"] > 15_000  # billed whole, though the model read a few passages


def test_map_reduce_over_a_doc_url_streams_progress_comments(small_window: Caller, docs: DocServer) -> None:
    url = docs.add("/long.txt", long_manual())
    payload = body(
        [{"type": "text", "text": "Summarize the parts."}, {"type": "doc_url", "doc_url": [url]}],
        model="qwen-long", x_context_strategy="map_reduce", incremental_output=True,
    )  # fmt: skip
    response = post(small_window, payload, SSE)
    assert response.status_code == 200
    progress = re.findall(r"^: progress (\d+)/(\d+)\n\n", response.text, re.MULTILINE)
    assert progress and progress[-1][0] == progress[-1][1]
    found = events(re.sub(r"^: progress \d+/\d+\n\n", "", response.text, flags=re.MULTILINE))
    assert found[-1][3]["x_context"]["plan"] == "map_reduce"
    assert found[-1][3]["output"]["finish_reason"] == "stop"
    # the SDK's reader skips the comments
    import io

    import requests
    from dashscope.common.utils import _handle_stream

    raw = requests.Response()
    raw.raw = io.BytesIO(response.content)
    parsed = [json.loads(event.data) for is_error, _, event in _handle_stream(raw) if not is_error]
    assert parsed == [e[3] for e in found]
