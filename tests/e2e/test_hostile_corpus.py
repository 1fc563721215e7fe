"""A hostile corpus (generated here, over 100 small files) uploaded with the openai SDK to a real
server on each store: every file ends ``processed`` with readable text or ``error`` with a reason
within ``SETTLE_SECONDS``, no response is a 5xx, the server stays up, and a normal file still
processes afterwards.

The parse budgets are lowered for the server (``BUDGET``) so that a file that does run long ends
soon; none of these should need it.
"""

from __future__ import annotations

import io
import random
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from support.generated_files import (
    header_only_image,
    make_pdf,
    png_header_only,
    replace_entry,
    self_referencing_pdfs,
    with_random_middle,
    zip_bomb,
)
from support.server import LongdocServer

DOCUMENTS = Path(__file__).parents[1] / "data" / "documents"
SETTLE_SECONDS = 90.0  # from the last upload until every file has ended
BUDGET = {"LONGDOC_PARSING__BUDGET_BASE_SECONDS": "15", "LONGDOC_PARSING__BUDGET_SECONDS_PER_MB": "10"}
PREFIX = "/compatible-mode/v1"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
VOCABULARY = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "reading")


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    expect: str = "any"  # processed, error, any (either, but readable if processed), refused
    hint: str = ""  # expected (lower-case) in the error's reason, or in the processed text


def read(name: str) -> bytes:
    return (DOCUMENTS / name).read_bytes()


def noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def laughs(body: str) -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
    )
    return f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>{body}'.encode()


def external(body: str, target: str = "file:///etc/passwd") -> bytes:
    return f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "{target}">]>{body}'.encode()


def docx_body(text: str) -> str:
    return (
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>'
    )


def shared_strings(text: str) -> str:
    return (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        f"<si><t>{text}</t></si></sst>"
    )


def xhtml(text: str) -> str:
    return f'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>{text}</p></body></html>'


def ascii_prose(seed: int, words: int = 2000) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(words))


def hostile_corpus() -> list[Case]:
    docx, xlsx, pptx = read("officer-example.docx"), read("readxl-deaths.xlsx"), read("officer-example.pptx")
    epub, doc = read("debian-edu-manual.zh-cn.part.epub"), read("officer-example.doc")
    pdf = read("R-intro.p12-14.pdf")
    chapter, opf = "epub/OEBPS/ar01s02.html", "epub/OEBPS/content.opf"
    cases = [Case(f"truncated-{n}.pdf", pdf[: len(pdf) * n // 100]) for n in (5, 25, 50, 75, 99)]
    cases += [
        Case(f"short-{n}.pdf", make_pdf(["page one", "page two"] * 10)[:n], "error") for n in (100, 300, 600)
    ]
    cases += [
        Case("locked.pdf", make_pdf(["secret"], user_password=b"pw"), "error", "encrypted"),
        Case("hollow.pdf", make_pdf([None, None]), "error", "damaged"),
        Case("header-then-noise.pdf", b"%PDF-1.7\n" + noise(4096, 1), "error"),
        *(Case(name, data) for name, data in self_referencing_pdfs().items()),
        # zip and XML bombs, XXE
        Case("bomb.docx", zip_bomb(), "error", "zip bomb"),
        Case("bomb.xlsx", zip_bomb("xl/workbook.xml"), "error", "zip bomb"),
        Case("bomb.pptx", zip_bomb("ppt/presentation.xml"), "error", "zip bomb"),
        Case("bomb.epub", zip_bomb("META-INF/container.xml"), "error", "zip bomb"),
        Case("many-entries.docx", many_entries(), "error", "entries"),
        Case("laughs.docx", replace_entry(docx, "word/document.xml", laughs(docx_body("&lol9;")))),
        Case("laughs.xlsx", replace_entry(xlsx, "xl/sharedStrings.xml", laughs(shared_strings("&lol9;")))),
        Case("laughs.pptx", replace_entry(pptx, "ppt/slides/slide1.xml", laughs("<p:sld>&lol9;</p:sld>"))),
        Case("laughs-chapter.epub", replace_entry(epub, chapter, laughs(xhtml("&lol9;")))),
        Case("laughs-package.epub", replace_entry(epub, opf, laughs("<package>&lol9;</package>"))),
        Case("blowup.docx", replace_entry(docx, "word/document.xml", blowup())),
        Case("xxe.docx", replace_entry(docx, "word/document.xml", external(docx_body("&xxe;")))),
        Case("xxe.xlsx", replace_entry(xlsx, "xl/sharedStrings.xml", external(shared_strings("&xxe;")))),
        Case("xxe-chapter.epub", replace_entry(epub, chapter, external(xhtml("&xxe;")))),
        Case("xxe-package.epub", replace_entry(epub, opf, external("<package>&xxe;</package>"))),
        Case("xxe-network.docx", replace_entry(docx, "word/document.xml", external(docx_body("&xxe;"), "http://127.0.0.1:9/x"))),
        # pixel bombs
        Case("huge.png", png_header_only(100_000, 100_000), "error", "too large"),
        Case("wide.png", png_header_only(20_000, 6_000), "error", "too large"),
        Case("huge.gif", header_only_image("gif", 65_535, 65_535), "error", "too large"),
        Case("huge.bmp", header_only_image("bmp", 60_000, 60_000), "error", "too large"),
        Case("huge.jpg", header_only_image("jpeg", 65_000, 65_000), "error", "too large"),
        # empty files are refused at upload
        *(Case(f"empty.{ext}", b"", "refused") for ext in ("txt", "pdf", "docx")),
        # names that claim another format than the bytes hold
        Case("picture.pdf", read("lo-tip-formdocuments.png"), "error", "png image"),
        Case("paper.docx", pdf, "error", "pdf document"),
        Case("report.xlsx", docx, "error", "docx"),
        Case("sheet.pptx", xlsx, "error", "xlsx"),
        Case("table.xlsx", read("distro-info-debian.csv"), "error", "plain text"),
        Case("letter.pdf", doc, "error", "word 97-2003"),
        Case("book.docx", epub, "error", "epub"),
        Case("note.png", b"just some words\n", "error", "plain text"),
        Case("modern.doc", docx, "processed", "lorem ipsum"),  # the same family: read by content
        # encodings
        Case("mojibake.txt", b"\xff\xfe" + with_random_middle(ascii_prose(1).encode(), 3, seed=1), "processed", "quick"),
        Case("noise-with-bom.txt", b"\xff\xfe" + noise(8192, 2), "error", "could not be read"),
        Case("russian.txt", ("Съешь же ещё этих мягких французских булок. " * 40).encode("cp1251"), "processed", "булок"),
        Case("french.txt", ("Le garçon a mangé une crème brûlée. " * 40).encode("latin-1"), "processed", "gar"),
        Case("utf16-no-bom.txt", ("plain words " * 100).encode("utf-16-le"), "error"),
        Case("overlong.txt", b"caf\xc0\xa9 " * 500 + b"\xed\xa0\x80 surrogate", "any"),
        Case("shift-jis.txt", ("これは日本語のテキストです。" * 50).encode("shift_jis")),
        Case("gb18030.txt", ("中文文本，简体。" * 50).encode("gb18030"), "processed", "中文文本"),
        Case("ebcdic.txt", ascii_prose(3).encode("cp037"), "processed", "quick"),  # GB18030-valid bytes
        Case("mixed.txt", ("中文" * 100).encode() + ("中文" * 100).encode("gbk")),
        # text built to be slow to parse
        Case("spaces.md", ("# x" + " " * 1_000_000 + "y\n").encode(), "processed", "# x"),
        Case("quotes.csv", b',"' * 128 * 1024),
        Case("wide.csv", (",".join(["h"] * 20_000) + "\n" + "x\n" * 50_000).encode(), "processed"),
        Case("ragged.csv", b"x\n" * 50_000 + ",".join(["h"] * 20_000).encode(), "processed"),
        Case("deep.json", b"[" * 200_000 + b"]" * 200_000, "processed"),
        Case("escapes.json", b'"' + b"\\u0041" * 150_000 + b'"', "processed", "aaaa"),
        Case("one-line.txt", b"x" * 1_000_000, "processed"),
        Case("headings.md", b"# h\n" * 100_000, "processed"),
        Case("fences.md", b"```\n" * 50_000),
        # random bytes under office and book names, and damaged copies
        *(Case(f"random.{ext}", noise(4096, i), "error") for i, ext in enumerate(("doc", "docx", "xlsx", "xls", "pptx", "ppt", "epub", "mobi", "pdf", "png"))),
        Case("noisy.doc", with_random_middle(doc, 4096, seed=3), "error"),
        Case("noisy.ppt", with_random_middle(read("officer-example.ppt"), 4096, seed=3)),
        Case("noisy.xls", with_random_middle(read("readxl-deaths.xls"), 4096, seed=3)),
        Case("noisy-body.docx", replace_entry(docx, "word/document.xml", noise(4096, 4)), "error"),
        *(Case(f"half.{ext}", data[: len(data) // 2], "error") for ext, data in (("xlsx", xlsx), ("pptx", pptx), ("epub", epub))),
        # odd but valid names
        *(Case(name, f"odd name {i}: the warranty is 24 months\n".encode(), "processed", f"odd name {i}")
          for i, name in enumerate(ODD_NAMES)),
        # ordinary files among them
        *(Case(name, read(name), "processed") for name in ORDINARY),
    ]  # fmt: skip
    return cases


ODD_NAMES = [
    "résumé final (v2).txt", "文档说明.md", "emoji 😀 notes.txt", "-leading-dash.txt", "..two dots.txt",
    'name "quoted".txt', "semi;colon.txt", "percent%20encoded.md", "UPPER CASE.TXT", "no extension",
    "archive.tar.gz.txt", "trailing.dot.", "folder/inside.txt", "a" * 200 + ".txt", "spaces   inside.txt",
    "right-to-left \u202etxt.md", "ideographic\u3000space.txt", "CON.txt", "#hash&amp.txt",
]  # fmt: skip
ORDINARY = [
    "distro-info-debian.csv", "iso_3166-1.json", "nodejs-api-url.md", "officer-example.docx",
    "readxl-deaths.xlsx", "officer-example.pptx", "debian-edu-manual.zh-cn.part.epub", "R-intro.p12-14.pdf",
    "debian-edu-manual.zh-cn.toc.gb18030.txt",
]  # fmt: skip


def many_entries(count: int = 21_000) -> bytes:
    """A DOCX-shaped zip of more entries than a document may hold."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", docx_body("x"))
        for i in range(count):
            archive.writestr(f"word/media/{i}", b"")
    return buffer.getvalue()


def blowup() -> bytes:
    """One 50 KB entity referenced 20,000 times: 1 GB if expanded (the quadratic blowup attack)."""
    entity = "A" * 50_000
    return f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "{entity}">]>{docx_body("&a;" * 20_000)}'.encode()


def meaningless_share(text: str) -> float:
    bad = sum(
        1
        for ch in text
        if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs") and ch not in "\t\n\r\f")
    )
    return bad / max(len(text), 1)


@pytest.fixture
def hostile_server(tmp_path: Path, database_url: str) -> Iterator[LongdocServer]:
    running = LongdocServer(tmp_path / "data", database_url=database_url, env=BUDGET).start()
    yield running
    running.stop()


def test_a_hostile_corpus_ends_readable_or_in_clear_errors(hostile_server: LongdocServer) -> None:
    started = time.monotonic()
    statuses: list[tuple[str, int]] = []
    http = httpx.Client(
        timeout=60, event_hooks={"response": [lambda r: statuses.append((r.request.url.path, r.status_code))]}
    )
    client = openai.OpenAI(
        api_key=hostile_server.api_key,
        base_url=hostile_server.origin + PREFIX,
        max_retries=0,
        http_client=http,
    )
    corpus = hostile_corpus()
    assert len(corpus) >= 100
    uploaded: dict[str, Case] = {}
    for case in corpus:
        if case.expect == "refused":
            with pytest.raises(openai.BadRequestError, match="the file is empty"):
                client.files.create(file=(case.name, case.data), purpose="file-extract")
            continue
        uploaded[client.files.create(file=(case.name, case.data), purpose="file-extract").id] = case

    deadline = time.monotonic() + SETTLE_SECONDS
    files = {}
    while time.monotonic() < deadline:
        files = {f.id: f for f in client.files.list() if f.id in uploaded}
        if all(f.status != "uploaded" for f in files.values()):
            break
        time.sleep(0.5)
    pending = [uploaded[i].name for i, f in files.items() if f.status == "uploaded"]
    assert not pending, f"still parsing after {SETTLE_SECONDS} s: {pending}"

    for file_id, case in uploaded.items():
        file = files[file_id]
        assert file.status in ("processed", "error"), (case.name, file.status)
        if file.status == "error":
            reason = (file.status_details or "").lower()
            assert reason.strip(), case.name
            assert case.expect in ("error", "any"), (case.name, file.status_details)
            assert case.hint in reason, (case.name, file.status_details)
            continue
        assert case.expect in ("processed", "any"), (case.name, "processed")
        response = http.get(
            f"{hostile_server.origin}{PREFIX}/files/{file_id}/parsed",
            headers={"Authorization": f"Bearer {hostile_server.api_key}"},
        )
        text = response.text
        assert response.status_code == 200, (case.name, response.status_code)
        assert meaningless_share(text) < 0.05, (case.name, text[:200])
        assert "root:x:0:0" not in text, case.name
        assert case.hint in text.lower(), (case.name, text[:200])

    assert [s for s in statuses if s[1] >= 500] == []
    assert http.get(f"{hostile_server.origin}/healthz").status_code == 200
    good = client.files.create(file=DOCUMENTS / "distro-info-debian.csv", purpose="file-extract")
    while (good := client.files.retrieve(good.id)).status == "uploaded":
        assert time.monotonic() < deadline + 30, "a normal file did not process after the corpus"
        time.sleep(0.2)
    assert good.status == "processed", good.status_details
    elapsed = time.monotonic() - started
    print(f"hostile corpus: {len(corpus)} files settled in {elapsed:.1f} s")
    assert elapsed < 120
