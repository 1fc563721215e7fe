"""DashScope generation with the official ``dashscope`` SDK against a real ``longdoc serve`` on
loopback — the seed's doc_url example with two DOCX product manuals served by a loopback HTTP
server — and the same requests as raw HTTP, with the exact SSE framing.

Framing and errors run on the fake model; the seed example also runs on the embedded model.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import dashscope
import httpx
import pytest

from support.doc_server import DocServer
from support.manuals import product_manual
from support.models import require_embedded_model
from support.server import LongdocServer, openai_client, wait_for_status

ROUTE = "/api/v1/services/aigc/text-generation/generation"
# the seed's manuals are named 示例产品手册A.docx and 示例产品手册B.docx
MANUAL_PATHS = ("/files/%E7%A4%BA%E4%BE%8B%E4%BA%A7%E5%93%81%E6%89%8B%E5%86%8CA.docx",
                "/files/%E7%A4%BA%E4%BE%8B%E4%BA%A7%E5%93%81%E6%89%8B%E5%86%8CB.docx")  # fmt: skip
QUESTION = (
    "From these two product manuals, extract all product information and organize it into a standard "
    "JSON array. Each object must contain: model (the product's model number), name (the product's "
    "name), price (the price without currency symbols or commas)."
)
PRODUCTS_A = [("DR-X1", "X1 Cordless Drill", "¥8,999"), ("SW-X2", "X2 Circular Saw", "¥12,499")]
PRODUCTS_B = [("MW-Y7", "Y7 Lawn Mower", "¥3,299")]
PRODUCTS = {model: price for model, _, price in PRODUCTS_A + PRODUCTS_B}
EVENT = re.compile(r"id:(\d+)\nevent:(result|error)\n:HTTP_STATUS/(\d{3})\ndata:(.*)\n\n")
FAKE_ENV = {
    "LONGDOC_INFERENCE__BACKENDS": '{"embedded": {"kind": "fake"}}',
    "LONGDOC_FETCH_ALLOW": "127.0.0.1",
}


@pytest.fixture(scope="module")
def docs() -> Iterator[DocServer]:
    with DocServer() as server:
        server.add(
            MANUAL_PATHS[0],
            product_manual(
                "Product Manual A — Power Tools",
                "This manual lists the cordless power tools of the A series.",
                PRODUCTS_A,
            ),
            headers={"ETag": '"manual-a-1"'},
        )
        server.add(
            MANUAL_PATHS[1],
            product_manual(
                "Product Manual B — Garden Tools",
                "This manual lists the garden tools of the B series.",
                PRODUCTS_B,
            ),
            headers={"ETag": '"manual-b-1"'},
        )
        yield server


# qwen-doc-turbo turns this request into an extraction (checked with the embedded model below);
# the framing tests send it to qwen-long, which answers as chat, so the fake's echo is known text.
FRAMING_MODEL = "qwen-long"


def seed_messages(docs: DocServer) -> list[dict[str, Any]]:
    """The seed's example, unchanged but for where the manuals are served from."""
    return [
        {"role": "system", "content": "You are a helpful assistant."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": QUESTION},
                {
                    "type": "doc_url",
                    "doc_url": [docs.url(MANUAL_PATHS[0]), docs.url(MANUAL_PATHS[1])],
                    "file_parsing_strategy": "auto",
                },
            ],
        },
    ]


def point_sdk_at(server: LongdocServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashscope, "base_http_api_url", server.origin + "/api/v1")


def sse_events(text: str) -> list[tuple[int, str, int, dict[str, Any]]]:
    matches = list(EVENT.finditer(text))
    assert "".join(m.group(0) for m in matches) == text, text  # nothing but well-framed events
    return [(int(m[1]), m[2], int(m[3]), json.loads(m[4])) for m in matches]


# -- the fake model: shapes, streaming and errors through the SDK


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    server = LongdocServer(tmp_path_factory.mktemp("ds-fake") / "data", env=FAKE_ENV).start()
    yield server
    server.stop()


@pytest.fixture
def fake_sdk(fake_server: LongdocServer, monkeypatch: pytest.MonkeyPatch) -> LongdocServer:
    point_sdk_at(fake_server, monkeypatch)
    return fake_server


def test_seed_example_non_streaming(fake_sdk: LongdocServer, docs: DocServer) -> None:
    response = dashscope.Generation.call(
        api_key=fake_sdk.api_key,
        model=FRAMING_MODEL,
        messages=seed_messages(docs),
        result_format="message",
    )
    assert response.status_code == HTTPStatus.OK, response
    choice = response.output.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant" and choice.message.content == QUESTION  # the fake echoes
    assert response.usage.input_tokens > 50  # both manuals billed whole
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert re.fullmatch(r"[0-9a-f-]{36}", response.request_id)


def test_seed_example_streaming_incremental(fake_sdk: LongdocServer, docs: DocServer) -> None:
    responses = list(
        dashscope.Generation.call(
            api_key=fake_sdk.api_key,
            model=FRAMING_MODEL,
            messages=seed_messages(docs),
            result_format="message",
            stream=True,
            incremental_output=True,
        )
    )
    assert all(r.status_code == HTTPStatus.OK for r in responses)
    pieces = [r.output.choices[0].message.content for r in responses]
    reasons = [r.output.choices[0].finish_reason for r in responses]
    assert "".join(pieces) == QUESTION
    assert reasons[-1] == "stop" and set(reasons[:-1]) == {"null"}
    outputs = [r.usage.output_tokens for r in responses]
    assert outputs == sorted(outputs) and outputs[-1] == len(responses) - 1
    assert len({r.request_id for r in responses}) == 1


def test_streaming_with_incremental_output_false(fake_sdk: LongdocServer, docs: DocServer) -> None:
    # SDK 2.0.2 asks for increments on the wire and joins them itself; the result is the same
    texts = [
        r.output.choices[0].message.content
        for r in dashscope.Generation.call(
            api_key=fake_sdk.api_key,
            model=FRAMING_MODEL,
            messages=seed_messages(docs),
            result_format="message",
            stream=True,
            incremental_output=False,
        )
    ]
    assert texts[-1] == QUESTION
    assert all(QUESTION.startswith(t) for t in texts)
    assert [len(t) for t in texts] == sorted(len(t) for t in texts)


def test_streaming_text_format_sends_the_text_so_far(fake_sdk: LongdocServer) -> None:
    responses = list(
        dashscope.Generation.call(
            api_key=fake_sdk.api_key,
            model="qwen-long",
            messages=[{"role": "user", "content": "one two three"}],
            stream=True,
        )
    )
    assert [r.output.text for r in responses] == ["one ", "one two ", "one two three", "one two three"]
    assert [r.output.finish_reason for r in responses] == ["null", "null", "null", "stop"]


def test_text_result_format(fake_sdk: LongdocServer) -> None:
    response = dashscope.Generation.call(
        api_key=fake_sdk.api_key, model="qwen-long", messages=[{"role": "user", "content": "hello there"}]
    )
    assert response.status_code == HTTPStatus.OK
    assert response.output.text == "hello there" and response.output.finish_reason == "stop"


def test_fileid_system_message(fake_sdk: LongdocServer, tmp_path: Path) -> None:
    path = tmp_path / "manual.txt"
    path.write_text("The X1 drill has a warranty of 24 months.\n")
    client = openai_client(fake_sdk)
    file = client.files.create(file=path, purpose="file-extract")
    assert wait_for_status(client, file.id).status == "processed"
    response = dashscope.Generation.call(
        api_key=fake_sdk.api_key,
        model="qwen-long",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{file.id}"},
            {"role": "user", "content": "How long is the warranty?"},
        ],
        result_format="message",
    )
    assert response.status_code == HTTPStatus.OK, response
    assert response.usage.input_tokens > (client.files.retrieve(file.id).model_extra or {})["x_tokens"]


def test_invalid_key(fake_sdk: LongdocServer) -> None:
    response = dashscope.Generation.call(
        api_key="sk-not-a-key", model="qwen-long", messages=[{"role": "user", "content": "hi"}]
    )
    assert (response.status_code, response.code) == (401, "InvalidApiKey")
    assert response.message == "Invalid API-key provided."
    assert response.request_id


def test_invalid_key_while_streaming(fake_sdk: LongdocServer) -> None:
    responses = list(
        dashscope.Generation.call(
            api_key="sk-not-a-key",
            model="qwen-long",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        )
    )
    assert [(r.status_code, r.code) for r in responses] == [(401, "InvalidApiKey")]


def test_unknown_model(fake_sdk: LongdocServer) -> None:
    response = dashscope.Generation.call(
        api_key=fake_sdk.api_key, model="qwen-doc-mega", messages=[{"role": "user", "content": "hi"}]
    )
    assert (response.status_code, response.code) == (404, "ModelNotFound")


def test_eleven_urls(fake_sdk: LongdocServer, docs: DocServer) -> None:
    messages = seed_messages(docs)
    messages[1]["content"][1]["doc_url"] = [docs.url(MANUAL_PATHS[i % 2]) + f"?copy={i}" for i in range(11)]
    response = dashscope.Generation.call(api_key=fake_sdk.api_key, model="qwen-doc-turbo", messages=messages)
    assert (response.status_code, response.code) == (400, "InvalidParameter")
    assert "at most 10" in response.message


def test_a_url_that_answers_404(fake_sdk: LongdocServer, docs: DocServer) -> None:
    messages = seed_messages(docs)
    missing = docs.url("/files/missing.docx")
    messages[1]["content"][1]["doc_url"] = [docs.url(MANUAL_PATHS[0]), missing]
    response = dashscope.Generation.call(api_key=fake_sdk.api_key, model="qwen-doc-turbo", messages=messages)
    assert (response.status_code, response.code) == (400, "InvalidParameter")
    assert response.message == f"Failed to fetch doc_url {missing}: the server answered 404 Not Found"


def test_a_private_address_with_the_guard_on(fake_sdk: LongdocServer, docs: DocServer) -> None:
    # only 127.0.0.1 is allowed on this server; the rest of the private ranges stay closed
    messages = seed_messages(docs)
    messages[1]["content"][1]["doc_url"] = ["http://192.168.0.10/manual.docx"]
    response = dashscope.Generation.call(api_key=fake_sdk.api_key, model="qwen-doc-turbo", messages=messages)
    assert (response.status_code, response.code) == (400, "InvalidParameter")
    assert "192.168.0.10 is a private address" in response.message


# -- the same requests as raw HTTP


def raw_post(
    server: LongdocServer, payload: dict[str, Any], key: str | None = None, **headers: str
) -> httpx.Response:
    return httpx.post(
        server.origin + ROUTE,
        headers={"Authorization": f"Bearer {key or server.api_key}", **headers},
        json=payload,
        timeout=120,
    )


def test_raw_seed_example_streaming_framing(fake_server: LongdocServer, docs: DocServer) -> None:
    payload = {
        "model": FRAMING_MODEL,
        "input": {"messages": seed_messages(docs)},
        "parameters": {"result_format": "message", "incremental_output": True},
    }
    response = raw_post(fake_server, payload, **{"X-DashScope-SSE": "enable", "Accept": "text/event-stream"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream;charset=UTF-8"
    found = sse_events(response.text)
    assert [e[0] for e in found] == list(range(1, len(found) + 1))
    assert {(kind, status) for _, kind, status, _ in found} == {("result", 200)}
    datas = [e[3] for e in found]
    assert all(set(d) <= {"output", "usage", "request_id", "x_context"} for d in datas)
    assert {d["request_id"] for d in datas} == {response.headers["x-request-id"]}
    assert [d["output"]["choices"][0]["finish_reason"] for d in datas] == ["null"] * (len(datas) - 1) + [
        "stop"
    ]
    assert "".join(d["output"]["choices"][0]["message"]["content"] for d in datas) == QUESTION
    usage = datas[-1]["usage"]
    assert set(usage) == {"input_tokens", "output_tokens", "total_tokens", "prompt_tokens_details"}


def test_raw_non_streaming_message(fake_server: LongdocServer, docs: DocServer) -> None:
    payload = {"model": FRAMING_MODEL, "input": {"messages": seed_messages(docs)},
               "parameters": {"result_format": "message"}}  # fmt: skip
    response = raw_post(fake_server, payload)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["output"]["choices"] == [
        {"finish_reason": "stop", "message": {"role": "assistant", "content": QUESTION}}
    ]
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ("bad-key", 401, "InvalidApiKey"),
        ("unknown-model", 404, "ModelNotFound"),
        ("eleven-urls", 400, "InvalidParameter"),
        ("url-404", 400, "InvalidParameter"),
        ("private-url", 400, "InvalidParameter"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_raw_errors(
    fake_server: LongdocServer, docs: DocServer, change: str, status: int, code: str, stream: bool
) -> None:
    messages = seed_messages(docs)
    payload: dict[str, Any] = {"model": "qwen-doc-turbo", "input": {"messages": messages}}
    key = None
    if change == "bad-key":
        key = "sk-wrong"
    elif change == "unknown-model":
        payload["model"] = "qwen-nope"
    elif change == "eleven-urls":
        messages[1]["content"][1]["doc_url"] = [docs.url(f"/files/{i}.docx") for i in range(11)]
    elif change == "url-404":
        messages[1]["content"][1]["doc_url"] = [docs.url("/files/nothing-here.docx")]
    else:
        messages[1]["content"][1]["doc_url"] = ["http://10.1.2.3/x.docx"]
    headers = {"X-DashScope-SSE": "enable"} if stream else {}
    response = raw_post(fake_server, payload, key, **headers)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "request_id"} and body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]


# -- the embedded model: the seed example answered for real


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    require_embedded_model()
    env = {"LONGDOC_FETCH_ALLOW": "127.0.0.1"}
    server = LongdocServer(tmp_path_factory.mktemp("ds-model") / "data", env=env).start()
    yield server
    server.stop()


def price_of(text: str) -> str:
    return re.sub(r"[^0-9.]", "", text)


def manual_tokens(docs: DocServer) -> int:
    """The Qwen tokens of both manuals as longdoc parses them."""
    from longdoc.context.tokens import TokenCounter
    from longdoc.parsing import parse_path

    counter, total = TokenCounter(), 0
    with tempfile.TemporaryDirectory() as folder:
        for path in MANUAL_PATHS:
            local = Path(folder) / "manual.docx"
            local.write_bytes(docs.routes[path].body)
            total += counter.count(parse_path(local).text)
    return total


def products_in(answer: str) -> dict[str, str]:
    """model → price from the model's JSON array (fenced or not)."""
    start, end = answer.find("["), answer.rfind("]")
    assert start >= 0 and end > start, answer
    items = json.loads(answer[start : end + 1])
    return {str(item["model"]): str(item["price"]) for item in items}


@pytest.mark.slow
def test_seed_example_with_the_embedded_model_streaming(
    model_server: LongdocServer, docs: DocServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_sdk_at(model_server, monkeypatch)
    responses = list(
        dashscope.Generation.call(
            api_key=model_server.api_key,
            model="qwen-doc-turbo",
            messages=seed_messages(docs),
            result_format="message",
            stream=True,
            incremental_output=True,
            temperature=0,
            seed=1,
        )
    )
    assert all(r.status_code == HTTPStatus.OK for r in responses), responses[-1]
    answer = "".join(r.output.choices[0].message.content for r in responses)
    found = products_in(answer)
    # the 0.5B model lists some of the products, never one the manuals do not hold
    assert len(found) >= 2 and set(found) <= set(PRODUCTS), answer
    assert all(price_of(found[m]) == price_of(PRODUCTS[m]) for m in found), answer
    assert responses[-1].output.choices[0].finish_reason == "stop"
    # both manuals were read and are billed whole, as the service bills them
    assert responses[-1].usage.input_tokens >= manual_tokens(docs)


@pytest.mark.slow
def test_seed_example_with_the_embedded_model_non_streaming(
    model_server: LongdocServer, docs: DocServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_sdk_at(model_server, monkeypatch)
    response = dashscope.Generation.call(
        api_key=model_server.api_key,
        model="qwen-doc-turbo",
        messages=seed_messages(docs),
        result_format="message",
        temperature=0,
        seed=1,
    )
    assert response.status_code == HTTPStatus.OK, response
    answer = response.output.choices[0].message.content
    found = products_in(answer)
    assert len(found) >= 2 and set(found) <= set(PRODUCTS), answer
    assert price_of(found["DR-X1"]) == "8999", answer
    assert response.usage.input_tokens >= manual_tokens(docs)
