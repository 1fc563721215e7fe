"""TXT, MD, CSV and JSON: encodings, Markdown headings, CSV tables, JSON pretty-printing."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from longdoc.core.documents import ParsingStrategy
from longdoc.parsing import parse_path
from longdoc.parsing.text import markdown_headings
from longdoc.parsing.text_encoding import decode_text, looks_like_text

DOCUMENTS = Path(__file__).parents[2] / "data" / "documents"


def parse(path: Path, name: str | None = None):  # type: ignore[no-untyped-def]
    return parse_path(path, strategy=ParsingStrategy.TEXT_ONLY, filename=name)


def test_gb18030_file_that_detection_gets_wrong() -> None:
    path = DOCUMENTS / "debian-edu-manual.zh-cn.toc.gb18030.txt"
    doc = parse(path)
    assert doc.encoding == "gb18030"
    assert "Debian Edu / Skolelinux 12 Bookworm 手册" in doc.text
    assert doc.text == path.read_bytes().decode("gb18030").replace("\r\n", "\n").strip()


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        ("Grüße aus Köln\n".encode("utf-8-sig"), "utf-8"),
        ("Grüße aus Köln\n".encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + "Grüße aus Köln\n".encode("utf-16-be"), "utf-16"),
        ("Grüße aus Köln\n".encode(), "utf-8"),
        ("中文文本，简体。\n".encode("gb18030"), "gb18030"),
    ],
)
def test_encodings_in_order(encoded: bytes, encoding: str) -> None:
    text, found = decode_text(encoded)
    assert found == encoding
    assert text.strip() in ("Grüße aus Köln", "中文文本，简体。")


def test_detection_is_the_last_resort() -> None:
    # cp1251 Cyrillic is neither UTF-8 nor GB18030 (0xFF cannot lead a GB18030 character)
    encoded = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 20
    data = encoded.encode("cp1251") + b"\xff"
    text, found = decode_text(data)
    assert found not in ("utf-8", "gb18030")
    assert "французских" in text


def test_single_byte_text_that_gb18030_accepts_is_not_read_as_chinese() -> None:
    # EBCDIC English decodes as GB18030 without an error, into rare and private-use characters
    english = "The quick brown fox jumps over the lazy dog; revenue grew by twelve percent.\n" * 20
    text, found = decode_text(english.encode("cp037"))
    assert found != "gb18030"
    assert "revenue grew by twelve percent" in text


def test_traditional_chinese_in_gb18030_is_still_gb18030() -> None:
    traditional = (
        "本公司於二零一九年度之營業收入較上年度增長百分之十二，主要由於產品銷售量增加及新市場開拓所致。\n" * 5
    )
    text, found = decode_text(traditional.encode("gb18030"))
    assert (found, text) == ("gb18030", traditional)


def test_crlf_becomes_lf_and_spans_hold(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"line one\r\nline two\rline three\r\n")
    doc = parse(path)
    assert doc.text == "line one\nline two\nline three"
    assert [(p.start, p.end) for p in doc.pages] == [(0, len(doc.text))]


def test_binary_is_not_text() -> None:
    assert not looks_like_text(bytes(range(256)))
    assert looks_like_text("plain words, ending mid-character: 中".encode()[:-1])


def test_markdown_headings_and_title() -> None:
    doc = parse(DOCUMENTS / "nodejs-api-url.md", "nodejs-api-url.md")
    assert doc.format == "md"
    assert doc.title == "URL"
    assert doc.headings[0].level == 1 and doc.headings[0].text == "URL"
    for heading in doc.headings:
        line = doc.text[heading.start : doc.text.index("\n", heading.start)]
        assert heading.text in line
    levels = {h.level for h in doc.headings}
    assert levels >= {1, 2, 3}


def test_markdown_ignores_code_fences_and_reads_setext() -> None:
    text = "Title\n=====\n\n```sh\n# not a heading\n```\n\nSection\n-------\n\n## Real heading ##\n#hashtag\n"
    headings = markdown_headings(text)
    assert [(h.level, h.text) for h in headings] == [(1, "Title"), (2, "Section"), (2, "Real heading")]
    assert text[headings[1].start :].startswith("Section")


def test_csv_becomes_a_markdown_table() -> None:
    doc = parse(DOCUMENTS / "distro-info-debian.csv", "distro-info-debian.csv")
    assert doc.format == "csv"
    assert len(doc.tables) == 1
    lines = doc.text.split("\n")
    assert lines[0] == "| version | codename | series | created | release | eol | eol-lts | eol-elts |"
    assert lines[1] == "|---|---|---|---|---|---|---|---|"
    assert "| 12 | Bookworm | bookworm |" in doc.text
    table = doc.tables[0]
    assert (table.start, table.end) == (0, len(doc.text))


def test_csv_delimiter_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text("name;price\nwidget;3,50\ngadget;12,00\n", encoding="utf-8")
    doc = parse(path, "semicolons.csv")
    assert doc.text.split("\n")[2] == "| widget | 3,50 |"


def test_json_pretty_printed_and_still_json() -> None:
    path = DOCUMENTS / "iso_3166-1.json"
    doc = parse(path, "iso_3166-1.json")
    assert doc.format == "json"
    assert json.loads(doc.text) == json.loads(path.read_text(encoding="utf-8"))
    assert '"name": "Aruba"' in doc.text
    assert doc.errors == []


def test_invalid_json_is_kept_with_an_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"a": 1,\n "b": }\n', encoding="utf-8")
    doc = parse(path, "broken.json")
    assert doc.text == '{"a": 1,\n "b": }'
    assert len(doc.errors) == 1
    assert doc.errors[0].reason.startswith("not valid JSON (Expecting value at line 2 column 7)")


def test_deeply_nested_json_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    doc = parse(path, "deep.json")
    assert doc.errors and "nested too deeply" in doc.errors[0].reason
