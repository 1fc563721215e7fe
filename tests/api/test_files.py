"""The Files API through the real app: shapes, paging, limits and account isolation."""

from __future__ import annotations

import re

import pytest

from longdoc.services import Services
from support.callers import Caller
from support.envelopes import assert_openai_error

PREFIXES = ["/v1", "/compatible-mode/v1"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_upload_returns_the_file_object(alice: Caller, prefix: str) -> None:
    body = alice.upload("notes.txt", b"hello world", prefix=prefix)
    assert re.fullmatch(r"file-fe-[0-9a-f]{24}", body["id"])
    assert body["object"] == "file"
    assert body["bytes"] == 11
    assert body["filename"] == "notes.txt"
    assert body["purpose"] == "file-extract"
    assert body["status"] == "uploaded"
    assert isinstance(body["created_at"], int)


def test_batch_files_get_batch_ids(alice: Caller) -> None:
    body = alice.upload("input.jsonl", b'{"custom_id":"1"}\n', purpose="batch")
    assert body["id"].startswith("file-batch-")
    assert body["purpose"] == "batch"


def test_retrieve_content_and_delete(alice: Caller) -> None:
    data = "第一行\nline two\n".encode()
    file_id = alice.upload("zh.txt", data)["id"]
    got = alice.client.get(f"/v1/files/{file_id}", headers=alice.headers)
    assert got.status_code == 200 and got.json()["id"] == file_id
    content = alice.client.get(f"/v1/files/{file_id}/content", headers=alice.headers)
    assert content.status_code == 200 and content.content == data
    deleted = alice.client.delete(f"/v1/files/{file_id}", headers=alice.headers)
    assert deleted.json() == {"id": file_id, "object": "file", "deleted": True}
    again = alice.client.get(f"/v1/files/{file_id}", headers=alice.headers)
    assert_openai_error(again, 404)


def test_list_is_newest_first_and_pages_with_after(alice: Caller) -> None:
    ids = [alice.upload(f"f{i}.txt", f"file {i}".encode())["id"] for i in range(5)]
    alice.upload("batch.jsonl", b"{}\n", purpose="batch")
    first = alice.client.get("/v1/files?limit=2&purpose=file-extract", headers=alice.headers).json()
    assert first["object"] == "list"
    assert [f["id"] for f in first["data"]] == ids[::-1][:2]
    assert first["has_more"] is True
    rest = alice.client.get(
        f"/v1/files?limit=10&purpose=file-extract&after={first['data'][-1]['id']}", headers=alice.headers
    ).json()
    assert [f["id"] for f in rest["data"]] == ids[::-1][2:]
    assert rest["has_more"] is False
    everything = alice.client.get("/v1/files", headers=alice.headers).json()
    assert len(everything["data"]) == 6


@pytest.mark.parametrize("limit", ["0", "101", "x"])
def test_list_limit_out_of_range(alice: Caller, limit: str) -> None:
    assert_openai_error(
        alice.client.get(f"/v1/files?limit={limit}", headers=alice.headers), 400, param="limit"
    )


def test_accounts_never_see_each_other_s_files(alice: Caller, bob: Caller) -> None:
    file_id = alice.upload("secret.txt", b"alice's secret")["id"]
    unknown = "file-fe-" + "0" * 24
    for method, path in [
        ("GET", f"/v1/files/{file_id}"),
        ("GET", f"/v1/files/{file_id}/content"),
        ("GET", f"/v1/files/{file_id}/parsed"),
        ("DELETE", f"/v1/files/{file_id}"),
    ]:
        theirs = bob.client.request(method, path, headers=bob.headers)
        missing = bob.client.request(method, path.replace(file_id, unknown), headers=bob.headers)
        assert_openai_error(theirs, 404)
        assert theirs.json()["error"]["message"].replace(file_id, "ID") == missing.json()["error"][
            "message"
        ].replace(unknown, "ID")
    assert bob.client.get("/v1/files", headers=bob.headers).json()["data"] == []
    assert alice.client.get(f"/v1/files/{file_id}", headers=alice.headers).status_code == 200


def test_shared_bytes_survive_one_owner_deleting(alice: Caller, bob: Caller, services: Services) -> None:
    a = alice.upload("same.txt", b"identical bytes")
    b = bob.upload("same.txt", b"identical bytes")
    alice.client.delete(f"/v1/files/{a['id']}", headers=alice.headers)
    content = bob.client.get(f"/v1/files/{b['id']}/content", headers=bob.headers)
    assert content.content == b"identical bytes"
    bob.client.delete(f"/v1/files/{b['id']}", headers=bob.headers)
    import hashlib

    assert not services.blobs.exists(hashlib.sha256(b"identical bytes").hexdigest())


def test_upload_errors(alice: Caller) -> None:
    client, headers = alice.client, alice.headers
    bad_purpose = client.post(
        "/v1/files", headers=headers, files={"file": ("a.txt", b"x")}, data={"purpose": "x"}
    )
    assert_openai_error(
        bad_purpose, 400, param="purpose", message="'purpose' must be 'file-extract' or 'batch'"
    )
    no_purpose = client.post("/v1/files", headers=headers, files={"file": ("a.txt", b"x")})
    assert_openai_error(no_purpose, 400, param="purpose")
    no_file = client.post(
        "/v1/files", headers=headers, data={"purpose": "file-extract"}, files={"other": ("a", b"x")}
    )
    assert_openai_error(no_file, 400, param="file")
    empty = client.post(
        "/v1/files", headers=headers, files={"file": ("a.txt", b"")}, data={"purpose": "file-extract"}
    )
    assert_openai_error(empty, 400, param="file", message="the file is empty")
    not_multipart = client.post("/v1/files", headers=headers, json={"purpose": "file-extract"})
    assert_openai_error(not_multipart, 400, param="file")


def test_keys_are_required_on_every_route(client, alice: Caller) -> None:  # type: ignore[no-untyped-def]
    for headers in [{}, {"Authorization": "Bearer sk-wrong"}, {"Authorization": "Basic abc"}]:
        for method, path in [
            ("GET", "/v1/files"),
            ("POST", "/compatible-mode/v1/files"),
            ("GET", "/v1/files/x"),
        ]:
            response = client.request(method, path, headers=headers)
            assert_openai_error(response, 401, code="invalid_api_key", message="Invalid API-key provided.")


def test_dashscope_routes_speak_dashscope_errors(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/no-such-route")
    body = response.json()
    assert response.status_code == 404
    assert set(body) == {"code", "message", "request_id"}
    assert body["request_id"] == response.headers["x-request-id"]


def test_a_method_a_route_does_not_serve_is_405_in_its_protocol(client, alice: Caller) -> None:  # type: ignore[no-untyped-def]
    response = client.put("/v1/files", headers=alice.headers)
    assert_openai_error(response, 405, message="Method PUT is not allowed on /v1/files")
    dashscope = client.get("/api/v1/services/aigc/text-generation/generation", headers=alice.headers)
    assert dashscope.status_code == 405 and dashscope.json()["code"] == "InvalidParameter"
