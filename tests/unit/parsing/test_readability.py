"""Text that is readable or a clear error: a decoding far messier than another loses, and a parse
whose text means nothing (any backend) ends in ParseFailed instead of becoming a document."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from longdoc.config import ParsingSettings
from longdoc.core.documents import Document, ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing import parse_isolated, parse_path
from longdoc.parsing.readability import check_readable
from longdoc.parsing.text_encoding import decode_text

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"
GOLDEN = Path(__file__).parents[2] / "golden" / "expected"
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "reading", "documents"]


def ascii_with_invalid_bytes(seed: int, *, count: int = 20) -> bytes:
    """ASCII prose with a few bytes that are not UTF-8, the first two a UTF-16 byte-order mark."""
    rng = random.Random(seed)
    data = bytearray(" ".join(rng.choice(WORDS) for _ in range(3000)).encode())
    for _ in range(count):
        data[rng.randrange(len(data))] = rng.randrange(0x80, 0x100)
    return b"\xff\xfe" + bytes(data)


def test_invalid_utf8_in_ascii_is_utf8_with_replacements_not_utf16() -> None:
    for seed in range(5):
        text, encoding = decode_text(ascii_with_invalid_bytes(seed))
        assert encoding == "utf-8"
        assert text.startswith("\ufffd\ufffd") and "quick" in text and text.count("\ufffd") <= 22


def test_a_real_utf16_file_stays_utf16() -> None:
    for sample in ("Grüße aus Köln, wie geht es?\n" * 50, "中文文本，简体。这是一个测试。\n" * 50):
        for encoded in (sample.encode("utf-16"), sample.encode("utf-32")):
            text, encoding = decode_text(encoded)
            assert text == sample and encoding in ("utf-16", "utf-32")


def test_the_mojibake_upload_is_parsed_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(ascii_with_invalid_bytes(7))
    doc = parse_path(path, strategy=ParsingStrategy.TEXT_ONLY)
    assert doc.encoding == "utf-8" and "lazy dog" in doc.text


def test_text_of_random_code_units_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(b"\xff\xfe" + random.Random(1).randbytes(8192))
    with pytest.raises(ParseFailed, match=r"^the text could not be read as UTF-(8|16): .*not text$"):
        parse_path(path, strategy=ParsingStrategy.TEXT_ONLY)


def _random_code_units(seed: int, count: int) -> str:
    rng = random.Random(seed)
    return (
        "".join(chr(rng.randrange(0x20, 0xFFFF)) for _ in range(count))
        .encode("utf-16", "surrogatepass")
        .decode("utf-16", "replace")
    )


@pytest.mark.parametrize(
    "text",
    [
        "\x01\x02\x03\ufffd" * 300 + "a few words",
        _random_code_units(1, 2000),
        _random_code_units(2, 200_000),  # sampled
    ],
)
def test_meaningless_text_fails_whatever_the_format(text: str) -> None:
    with pytest.raises(ParseFailed, match=r"^the text could not be read as a DOCX document: .*damaged$"):
        check_readable(Document(format="docx", text=text))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "∑ᵢ xᵢ² ≤ ∫₀¹ f(x) dx → ∞, α β γ δ ∂ ∇ ⊗ ⊕\n" * 200,  # mathematics
        "\n".join(f"\uf0b7 item {i}: a bullet from a symbol font" for i in range(300)),
        "한국어 텍스트입니다. 중국어 漢字 도 포함합니다.\n" * 200,
        "これは日本語のテキストです。カタカナとひらがな。\n" * 200,
        "هذا نص عربي للاختبار.\n" * 200,
    ],
)
def test_real_text_is_readable(text: str) -> None:
    check_readable(Document(format="pdf", text=text))


def test_every_golden_document_is_readable() -> None:
    for path in sorted(GOLDEN.glob("*.json")):
        check_readable(Document.model_validate(json.loads(path.read_text(encoding="utf-8"))))


@pytest.mark.libreoffice
def test_a_doc_that_libreoffice_turns_into_garbage_is_an_error(tmp_path: Path) -> None:
    if shutil.which(ParsingSettings().libreoffice) is None:
        pytest.skip("LibreOffice not installed")
    data = bytearray((DOCUMENTS / "officer-example.doc").read_bytes())
    middle = len(data) // 2 - 2048
    data[middle : middle + 4096] = random.Random(3).randbytes(4096)
    path = tmp_path / "noisy.doc"
    path.write_bytes(bytes(data))
    with pytest.raises(ParseFailed) as failed:
        parse_isolated(path, strategy=ParsingStrategy.TEXT_ONLY, filename="noisy.doc")
    assert failed.value.message.startswith(
        "the text could not be read as a Word 97-2003 (DOC) document: it is a jumble of unrelated characters"
    )
