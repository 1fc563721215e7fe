"""The Files API as the seed documents use it, through the official ``openai`` SDK."""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest

from support.envelopes import assert_openai_error
from support.server import LongdocServer, create_key, openai_client, raw, wait_for_status

TEXT = "longdoc end-to-end test.\nThe warranty of the X1 is 24 months.\n"


@pytest.mark.parametrize("prefix", ["/compatible-mode/v1", "/v1"])
def test_seed_files_workflow(server: LongdocServer, tmp_path: Path, prefix: str) -> None:
    client = openai_client(server, prefix=prefix)
    path = tmp_path / "manual.txt"
    path.write_text(TEXT)

    file = client.files.create(file=path, purpose="file-extract")
    assert file.id.startswith("file-fe-") and file.filename == "manual.txt" and file.bytes == len(TEXT)

    processed = wait_for_status(client, file.id)
    assert processed.status == "processed", processed.status_details
    assert (processed.model_extra or {}).get("x_tokens", 0) > 5

    listed = client.files.list()
    assert [f.id for f in listed.data] == [file.id]
    assert client.files.content(file.id).read() == TEXT.encode()
    parsed = raw(server, "GET", f"{prefix}/files/{file.id}/parsed", server.api_key)
    assert parsed.status_code == 200 and "24 months" in parsed.text

    deleted = client.files.delete(file.id)
    assert deleted.deleted is True and deleted.id == file.id
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(file.id)


def test_two_accounts_are_isolated(server: LongdocServer, tmp_path: Path) -> None:
    alice = openai_client(server, create_key(server, "alice"))
    bob = openai_client(server, create_key(server, "bob"))
    path = tmp_path / "alice.txt"
    path.write_text("alice only")
    file = alice.files.create(file=path, purpose="file-extract")

    assert bob.files.list().data == []
    for call in (bob.files.retrieve, bob.files.content, bob.files.delete):
        with pytest.raises(openai.NotFoundError):
            call(file.id)
    assert alice.files.retrieve(file.id).id == file.id


def test_a_restart_keeps_files_bytes_and_status(server: LongdocServer, tmp_path: Path) -> None:
    client = openai_client(server)
    path = tmp_path / "keep.md"
    path.write_text("# Kept\n\nThrough a restart.\n")
    file = client.files.create(file=path, purpose="file-extract")
    assert wait_for_status(client, file.id).status == "processed"

    server.stop()
    server.start()
    assert sum(line.startswith("LONGDOC_API_KEY=") for line in server.output) == 1  # no new key on restart
    client = openai_client(server)
    again = client.files.retrieve(file.id)
    assert again.status == "processed" and again.bytes == file.bytes
    assert client.files.content(file.id).read() == path.read_bytes()


def test_an_upload_interrupted_by_a_crash_is_parsed_after_restart(
    server: LongdocServer, tmp_path: Path
) -> None:
    """The parse job is durable: a server killed right after accepting an upload parses it on restart."""
    client = openai_client(server)
    path = tmp_path / "big.txt"
    path.write_text("lorem ipsum dolor sit amet\n" * 200_000)
    file = client.files.create(file=path, purpose="file-extract")
    server.kill()
    server.env["LONGDOC_JOBS__LEASE_SECONDS"] = "2"
    server.start()
    client = openai_client(server)
    assert wait_for_status(client, file.id, timeout=120).status == "processed"


def test_error_envelopes_over_raw_http(server: LongdocServer) -> None:
    key = server.api_key
    assert_openai_error(raw(server, "GET", "/v1/files"), 401, code="invalid_api_key")
    assert_openai_error(raw(server, "GET", "/v1/files", "sk-nope"), 401, message="Invalid API-key provided.")
    assert_openai_error(raw(server, "GET", "/v1/files/file-fe-000000000000000000000000", key), 404)
    bad = raw(
        server, "POST", "/v1/files", key, files={"file": ("a.txt", b"x")}, data={"purpose": "fine-tune"}
    )
    assert_openai_error(bad, 400, param="purpose", message="'purpose' must be 'file-extract' or 'batch'")
    assert_openai_error(raw(server, "GET", "/v1/files?limit=500", key), 400, param="limit")


def test_health_readiness_metrics_and_docs(server: LongdocServer) -> None:
    assert raw(server, "GET", "/healthz").json() == {"status": "ok"}
    deadline = time.monotonic() + 120
    while (ready := raw(server, "GET", "/readyz")).status_code == 503 and time.monotonic() < deadline:
        assert ready.json()["checks"]["store"] is True  # only the model may still be loading
        time.sleep(0.5)
    assert ready.status_code == 200 and ready.json() == {
        "ready": True,
        "checks": {"store": True, "models": True},
    }
    raw(server, "GET", "/v1/files", server.api_key)
    metrics = raw(server, "GET", "/metrics").text
    assert 'longdoc_http_requests_total{method="GET",route="/v1/files",status="200"}' in metrics
    assert "longdoc_jobs" in metrics
    assert raw(server, "GET", "/openapi.json").json()["info"]["title"] == "longdoc"
    assert raw(server, "GET", "/docs").status_code == 200
