"""Hostile and broken uploads through a real server: each file ends ``error`` with a reason a
person can act on, and the server keeps serving (a good file uploaded afterwards is processed)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openai
import pytest

from support.envelopes import assert_openai_error
from support.generated_files import make_pdf, png_header_only, zip_bomb
from support.server import LongdocServer, openai_client, raw, wait_for_status

DOCUMENTS = Path(__file__).parents[1] / "data" / "documents"


def docx_without_body() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/styles.xml", "<styles/>")
    return buffer.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return buffer.getvalue()


CASES = {
    "bomb.docx": (zip_bomb, "zip"),
    "nobody.docx": (docx_without_body, "word/document.xml"),
    "locked.pdf": (lambda: make_pdf(["secret numbers"], user_password=b"pw"), "encrypted PDF"),
    "truncated.pdf": (lambda: make_pdf(["page one", "page two"] * 20)[:600], "damaged"),
    "picture.pdf": (png_bytes, "PNG"),
    "huge.png": (lambda: png_header_only(100_000, 100_000), "pixels"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LongdocServer:
    running = LongdocServer(tmp_path_factory.mktemp("hostile") / "data").start()
    yield running  # type: ignore[misc]
    running.stop()


def test_each_hostile_file_fails_its_own_parse(server: LongdocServer, tmp_path: Path) -> None:
    client = openai_client(server)
    uploaded = {}
    for name, (build, _) in CASES.items():
        path = tmp_path / name
        path.write_bytes(build())
        uploaded[name] = client.files.create(file=path, purpose="file-extract").id
    for name, file_id in uploaded.items():
        file = wait_for_status(client, file_id, timeout=120)
        assert file.status == "error", (name, file.status)
        assert CASES[name][1].lower() in (file.status_details or "").lower(), (name, file.status_details)
    assert raw(server, "GET", "/healthz").status_code == 200
    good = client.files.create(file=DOCUMENTS / "distro-info-debian.csv", purpose="file-extract")
    assert wait_for_status(client, good.id).status == "processed"


def test_an_empty_file_is_refused_at_upload(server: LongdocServer) -> None:
    response = raw(
        server,
        "POST",
        "/v1/files",
        server.api_key,
        files={"file": ("empty.txt", b"")},
        data={"purpose": "file-extract"},
    )
    assert_openai_error(response, 400, message="the file is empty")


def test_an_image_over_the_image_limit_is_refused_at_upload(tmp_path: Path) -> None:
    server = LongdocServer(tmp_path / "data", env={"LONGDOC_LIMITS__IMAGE_BYTES": "1000"}).start()
    try:
        client = openai_client(server)
        path = tmp_path / "big.png"
        path.write_bytes(png_bytes() + bytes(2000))
        with pytest.raises(openai.BadRequestError, match="image limit"):
            client.files.create(file=path, purpose="file-extract")
    finally:
        server.stop()
