"""Hostile requests through the real app, on SQLite and PostgreSQL: the edge answers each with a
4xx in the caller's protocol (or serves it), never a 500, and an error mid-stream reaches the SDKs.

File names are normalised the same on both stores: control characters (C0, DEL, C1) removed, the
last path segment kept, at most 255 bytes of UTF-8 (cut at a character, keeping the extension);
a name with nothing left is a 400 with param ``file``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import openai
import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.inference.base import ChatMessage, GenerationParams, StreamEvent, TokenDelta
from longdoc.inference.fake import FakeBackend
from longdoc.services import Services
from support.callers import Caller
from support.envelopes import assert_openai_error
from support.fakes import services_with_model
from support.jobs import drain_jobs

PREFIXES = ["/v1", "/compatible-mode/v1"]
BOUNDARY = "hostile-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
DASHSCOPE_ROUTE = "/api/v1/services/aigc/text-generation/generation"


def part(headers: bytes, data: bytes) -> bytes:
    return b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\n\r\n" + data + b"\r\n"


def upload_body(filename: bytes, data: bytes = b"hello", extra_headers: bytes = b"") -> bytes:
    """A multipart body written byte by byte, as a client that escapes nothing sends it."""
    disposition = b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"'
    return (
        part(b'Content-Disposition: form-data; name="purpose"', b"file-extract")
        + part(disposition + extra_headers, data)
        + b"--"
        + BOUNDARY.encode()
        + b"--\r\n"
    )


def post_raw(caller: Caller, body: bytes, prefix: str = "/v1") -> Any:
    return caller.client.post(f"{prefix}/files", headers={**caller.headers, **MULTIPART}, content=body)


class BrokenMidAnswer(FakeBackend):
    """A model whose stream fails with a bug (not a LongdocError) after its first token."""

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: Any = None,
    ) -> Iterator[StreamEvent]:
        yield TokenDelta("partial ")
        raise RuntimeError("a bug deep in the model")


@pytest.fixture
def broken_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    with services_with_model(BrokenMidAnswer(), tmp_path, database_url, prompt_budget_tokens=3_000) as built:
        yield built


@pytest.fixture
def broken(broken_services: Services) -> Iterator[Caller]:
    with TestClient(create_app(broken_services)) as client:
        yield Caller(client, broken_services.keys.create_key("alice"))


@pytest.fixture
def fake_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    with services_with_model(FakeBackend(), tmp_path, database_url, prompt_budget_tokens=3_000) as built:
        yield built


@pytest.fixture
def chat(fake_services: Services) -> Iterator[Caller]:
    with TestClient(create_app(fake_services)) as client:
        yield Caller(client, fake_services.keys.create_key("alice"))


# -- file names


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_6000_character_name_is_cut_to_255_bytes_keeping_its_extension(alice: Caller, prefix: str) -> None:
    body = alice.upload("a" * 6_000 + ".txt", b"hello", prefix=prefix)
    assert body["filename"] == "a" * 251 + ".txt"
    again = alice.client.get(f"/v1/files/{body['id']}", headers=alice.headers).json()
    assert again["filename"] == body["filename"]


def test_a_long_multibyte_name_is_cut_at_a_character(alice: Caller) -> None:
    name = alice.upload("文" * 3_000 + ".pdf", b"hello")["filename"]
    assert name.endswith(".pdf") and set(name[:-4]) == {"文"}
    assert len(name.encode()) <= 255 and len(name.encode()) > 250


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (b"a\x00b.txt", "ab.txt"),  # PostgreSQL text cannot hold NUL; SQLite stored it as sent
        (b"tab\tand\x7fdel\x1b.txt", "tabanddel.txt"),
        ("c1\u0085\u009fname.txt".encode(), "c1name.txt"),
        (b"C:\\Users\\eve\\report.txt", "report.txt"),
        (b"../../etc/notes.md", "notes.md"),
        (b".txt", ".txt"),  # a name that is all extension is still a name
        ("报告\u200b.txt".encode(), "报告\u200b.txt"),  # only control characters go
    ],
)
def test_file_names_are_normalised_the_same_on_every_store(alice: Caller, sent: bytes, stored: str) -> None:
    response = post_raw(alice, upload_body(sent))
    assert response.status_code == 200, response.text
    file_id = response.json()["id"]
    assert response.json()["filename"] == stored
    listed = alice.client.get("/v1/files", headers=alice.headers).json()["data"]
    assert [f["filename"] for f in listed if f["id"] == file_id] == [stored]


@pytest.mark.parametrize("sent", [b"\x00\x01", b"  ", b"dir/", b"..", b"\x7f/\x00"])
def test_a_name_with_nothing_usable_left_is_a_400(alice: Caller, sent: bytes) -> None:
    assert_openai_error(post_raw(alice, upload_body(sent)), 400, param="file")


def test_a_bare_cr_in_a_part_header_is_a_400_and_the_client_can_go_on(alice: Caller) -> None:
    response = post_raw(alice, upload_body(b"bare\rcr.txt"))
    assert_openai_error(response, 400, param="file")
    assert "malformed" in response.json()["error"]["message"]
    assert alice.upload("after.txt", b"still serving")["filename"] == "after.txt"


# -- multipart framing


def test_an_8kb_part_header_is_read(alice: Caller) -> None:
    response = post_raw(alice, upload_body(b"big.txt", extra_headers=b"\r\nX-Padding: " + b"p" * 8_192))
    assert response.status_code == 200, response.text
    assert response.json()["filename"] == "big.txt"


def test_a_part_header_over_64kb_is_a_400(alice: Caller) -> None:
    response = post_raw(alice, upload_body(b"big.txt", extra_headers=b"\r\nX-Padding: " + b"p" * 70_000))
    assert_openai_error(response, 400, param="file")


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "body",
    [
        f"--{BOUNDARY}\r\nFalse".encode(),
        f"--{BOUNDARY}\r\nFalse\r\n".encode(),
        f"--{BOUNDARY}False".encode(),
        b"False",
        # a file part cut off before its closing boundary: the bytes are not all there
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhel'.encode(),
    ],
)
def test_a_malformed_multipart_body_is_a_400(alice: Caller, prefix: str, body: bytes) -> None:
    response = alice.client.post(
        f"{prefix}/files?purpose=file-extract", headers={**alice.headers, **MULTIPART}, content=body
    )
    assert_openai_error(response, 400, param="file")


@pytest.mark.parametrize("boundary", ["a b", "x" * 300])
def test_a_boundary_the_parser_cannot_use_is_a_400(alice: Caller, boundary: str) -> None:
    headers = {**alice.headers, "content-type": f"multipart/form-data; boundary={boundary}"}
    assert_openai_error(
        alice.client.post("/v1/files", headers=headers, content=b"--x\r\n"), 400, param="file"
    )


def test_two_file_parts_are_a_400(alice: Caller) -> None:
    disposition = b'Content-Disposition: form-data; name="file"; filename="'
    body = (
        part(b'Content-Disposition: form-data; name="purpose"', b"file-extract")
        + part(disposition + b'one.txt"', b"first")
        + part(disposition + b'two.txt"', b"second")
        + f"--{BOUNDARY}--\r\n".encode()
    )
    assert_openai_error(post_raw(alice, body), 400, param="file")


def test_an_upload_error_is_sent_only_after_the_whole_body_is_read(services: Services) -> None:
    """A malformed part is answered once the body is all read, so the client, still sending, gets
    to read the answer."""
    app = create_app(services)
    key = services.keys.create_key("alice")
    chunks = [f"--{BOUNDARY}\r\nContent-Disposition: bad\r\x01\r\n".encode(), b"x" * 1_000, b"y" * 1_000]
    unread = list(chunks)
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        chunk = unread.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(unread)}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert not unread, "the response started before the request body was read"
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/files",
        "raw_path": b"/v1/files",
        "query_string": b"purpose=file-extract",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", MULTIPART["content-type"].encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 400


def test_a_bug_in_a_handler_is_a_whole_500_that_the_app_does_not_raise(
    alice: Caller, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raised past the app, uvicorn closes the connection under the 500 it has already sent, and
    the openai SDK's next call on that connection fails (the TestClient here would re-raise it)."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(services.library, "list", broken)
    response = alice.client.get("/v1/files", headers=alice.headers)
    assert_openai_error(response, 500, message="The server had an error processing the request.")
    assert "a bug" not in response.text


# -- response_format json_schema with $ref

NODE = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
    },
    "required": ["name", "children"],
}
RECURSIVE = [
    {"$defs": {"node": NODE}, "$ref": "#/$defs/node"},
    {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/node"}},
        "required": ["root"],
        "$defs": {"node": NODE},
    },
    {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
    {
        "type": "object",
        "properties": {"kids": {"type": "array", "items": {"$ref": "#"}}},
        "required": ["kids"],
    },
]


def processed_document(caller: Caller, services: Services) -> str:
    file_id = caller.upload("family.txt", b"Alice is the mother of Bob and Carol.")["id"]
    drain_jobs(services)
    return str(file_id)


def extraction_request(file_id: str, schema: dict[str, Any], stream: bool) -> dict[str, Any]:
    return {
        "model": "qwen-long",
        "stream": stream,
        "messages": [
            {"role": "system", "content": f"fileid://{file_id}"},
            {"role": "user", "content": "Give the family tree."},
        ],
        "response_format": {"type": "json_schema", "json_schema": {"name": "tree", "schema": schema}},
    }


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("schema", RECURSIVE)
def test_a_recursive_ref_in_an_extraction_schema_is_a_400(
    chat: Caller, fake_services: Services, schema: dict[str, Any], stream: bool
) -> None:
    file_id = processed_document(chat, fake_services)
    response = chat.client.post(
        "/v1/chat/completions", headers=chat.headers, json=extraction_request(file_id, schema, stream)
    )
    error = assert_openai_error(response, 400, param="response_format")
    assert (
        error["type"] == "invalid_request_error"
        and "$ref" in error["message"]
        and "recursive" in error["message"]
    )


def test_a_ref_that_is_not_recursive_is_read_through(chat: Caller, fake_services: Services) -> None:
    file_id = processed_document(chat, fake_services)
    person = {"type": "object", "properties": {"name": {"type": ["string", "null"]}}, "required": ["name"]}
    schema = {
        "type": "object",
        "properties": {"mother": {"$ref": "#/$defs/person"}, "father": {"$ref": "#/$defs/person"}},
        "required": ["mother", "father"],
        "$defs": {"person": person},
    }
    response = chat.client.post(
        "/v1/chat/completions", headers=chat.headers, json=extraction_request(file_id, schema, False)
    )
    assert response.status_code == 200, response.text
    answer = json.loads(response.json()["choices"][0]["message"]["content"])
    assert set(answer) == {"mother", "father"}


def test_a_ref_pointing_nowhere_is_a_400(chat: Caller, fake_services: Services) -> None:
    file_id = processed_document(chat, fake_services)
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}, "required": ["a"]}
    response = chat.client.post(
        "/v1/chat/completions", headers=chat.headers, json=extraction_request(file_id, schema, False)
    )
    assert "$ref" in assert_openai_error(response, 400, param="response_format")["message"]


# -- an unexpected error mid-stream


def test_a_bug_mid_stream_ends_an_openai_stream_with_an_error_chunk(broken: Caller) -> None:
    body = {"model": "qwen-long", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    response = broken.client.post("/v1/chat/completions", headers=broken.headers, json=body)
    assert response.status_code == 200
    events = [line[len("data: ") :] for line in response.text.splitlines() if line.startswith("data: ")]
    assert json.loads(events[1])["choices"][0]["delta"]["content"] == "partial "
    last = json.loads(events[-1])
    assert last == {
        "error": {
            "message": "The server had an error processing the request.",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    assert "a bug deep in the model" not in response.text


def test_the_openai_sdk_raises_on_a_bug_mid_stream(broken: Caller) -> None:
    client = openai.OpenAI(
        api_key=broken.key, base_url="http://testserver/v1", http_client=broken.client, max_retries=0
    )
    stream = client.chat.completions.create(
        model="qwen-long", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(openai.APIError, match="The server had an error"):
        for _ in stream:
            pass


def test_a_bug_mid_stream_ends_a_dashscope_stream_with_an_error_event(broken: Caller) -> None:
    body = {"model": "qwen-long", "input": {"messages": [{"role": "user", "content": "hi"}]}}
    headers = {**broken.headers, "X-DashScope-SSE": "enable"}
    response = broken.client.post(DASHSCOPE_ROUTE, headers=headers, json=body)
    assert response.status_code == 200
    assert "event:error\n:HTTP_STATUS/500\n" in response.text
    assert '"code": "InternalError"' in response.text
