"""The playground in a real headless Chromium against a real ``longdoc serve`` (fake model).

Each step saves a screenshot under ``tests/artifacts/playground/``. The browser is Debian's
``chromium`` driven by Playwright; nothing is downloaded (no ``playwright install``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.server import LongdocServer, raw

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "playground"
DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
PDF = DOCUMENTS / "R-intro.p12-14.pdf"  # three pages of "An Introduction to R"

EXTRACTION = {
    "items": [
        {"command": 'source("commands.R")', "purpose": "run the commands stored in a file"},
        {"command": "rm(x, y, z)", "purpose": "remove objects, the workspace"},
        {"command": "=HYPERLINK(1)", "purpose": 'a "formula" must stay text'},
    ]
}
HOSTILE_NAME = "<img src=x onerror=alert(1)>.txt"
HOSTILE_TEXT = '<script>alert(1)</script>\n<img src=x onerror="alert(2)">\nPlain words after the tags.\n'
HOSTILE_QUESTION = "<img src=x onerror=alert(3)> what does it say?"


def fake_backend(**settings: Any) -> dict[str, str]:
    return {"LONGDOC_INFERENCE__BACKENDS": json.dumps({"embedded": {"kind": "fake", **settings}})}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing: pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.skip(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def echo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    """The fake echoes the question, a word every 0.1 s: slow enough to watch it stream."""
    data = tmp_path_factory.mktemp("echo") / "data"
    running = LongdocServer(data, env=fake_backend(seconds_per_token=0.1)).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def scripted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    """The fake answers every part with the same list (the extraction engine reads the page's
    ``{"items": [...]}`` schema as that list, part by part, and merges duplicates)."""
    data = tmp_path_factory.mktemp("scripted") / "data"
    running = LongdocServer(data, env=fake_backend(replies=[json.dumps(EXTRACTION["items"])])).start()
    yield running
    running.stop()


class Session:
    """One browser tab on the playground, recording dialogs and uncaught errors."""

    def __init__(self, page: Any, server: LongdocServer) -> None:
        self.page = page
        self.server = server
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self) -> Any:
        response = self.page.goto(self.server.origin + "/playground")
        assert response is not None and response.status == 200
        return response

    def sign_in(self) -> None:
        self.open()
        assert self.server.api_key
        self.page.fill("#api-key", self.server.api_key)
        self.page.click("text=Save key")
        self.page.wait_for_selector("text=Key accepted.")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def file_item(self, name: str) -> Any:
        return self.page.locator("#file-list li", has=self.page.get_by_text(name, exact=True))

    def wait_processed(self, name: str) -> Any:
        item = self.file_item(name)
        item.locator('.badge[data-status="processed"]').wait_for(timeout=60_000)
        return item

    def drop_file(self, name: str, text: str) -> None:
        """A real drop event on the drop zone, carrying a file made in the page."""
        self.page.evaluate(
            """([name, text]) => {
                const data = new DataTransfer();
                data.items.add(new File([text], name, { type: "text/plain" }));
                const zone = document.getElementById("drop-zone");
                for (const type of ["dragenter", "dragover", "drop"]) {
                    zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
                }
            }""",
            [name, text],
        )

    def ask(self, question: str) -> Any:
        self.page.fill("#question", question)
        self.page.click("#ask-button")
        turn = self.page.locator(".turn").last
        turn.locator(".passages").wait_for(timeout=60_000)
        return turn


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context.new_page()
    context.close()


def file_id_of(item: Any) -> str:
    value = item.get_attribute("data-file-id")
    assert value and value.startswith("file-"), value
    return str(value)


def test_first_visit_says_where_the_key_is_and_labels_every_control(
    tab: Any, echo_server: LongdocServer
) -> None:
    session = Session(tab, echo_server)
    response = session.open()
    assert "script-src 'self'" in response.headers["content-security-policy"]
    help_text = tab.locator("#key-help")
    help_text.wait_for()
    assert "LONGDOC_API_KEY=" in help_text.inner_text()
    assert tab.evaluate("document.activeElement.id") == "api-key"
    unlabelled = tab.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
            .filter((c) => !c.labels.length && !c.getAttribute("aria-label"))
            .map((c) => c.id || c.name)"""
    )
    assert unlabelled == []
    reached = []
    for _ in range(12):  # the keyboard alone reaches the file chooser, the question and Ask
        tab.keyboard.press("Tab")
        reached.append(tab.evaluate("document.activeElement.id"))
    assert {"file-input", "model", "question", "ask-button"} <= set(reached), reached
    session.shot("01-first-visit")
    assert session.errors == []


def test_upload_a_pdf_ask_and_jump_to_the_passage(tab: Any, echo_server: LongdocServer) -> None:
    session = Session(tab, echo_server)
    session.sign_in()
    tab.set_input_files("#file-input", str(PDF))
    item = session.wait_processed(PDF.name)
    meta = item.locator(".file-meta").inner_text()
    assert "3 pages" in meta and "tokens" in meta and "KB" in meta, meta
    assert item.locator('input[type="checkbox"]').is_checked()  # a fresh upload is chosen
    session.shot("02-pdf-processed")

    question = "Which function diverts output to a file [1], and how is it restored?"
    tab.fill("#question", question)
    tab.click("#ask-button")
    # part of the answer is on screen while the model is still writing: it streams
    tab.wait_for_function(
        """() => { const a = document.querySelector(".answer-text");
                   return a && a.getAttribute("aria-busy") === "true" && a.textContent.length > 0; }""",
        polling="raf",
    )
    session.shot("03-answer-streaming")
    turn = tab.locator(".turn").last
    turn.locator(".passages").wait_for(timeout=60_000)
    assert turn.locator(".answer-text").inner_text() == question  # the fake echoes the question
    citation = turn.locator(".answer-text button.cite")  # "[1]" cites the first passage read
    assert citation.inner_text() == "[1]" and PDF.name in (citation.get_attribute("aria-label") or "")
    usage = turn.locator(".usage").inner_text()
    assert "input" in usage and "output" in usage and "cost" in usage and "CNY" in usage, usage
    passage = turn.locator(".passage-link").first
    assert PDF.name in passage.inner_text()
    tab.wait_for_function(  # the snippet arrives with the parsed text
        "() => [...document.querySelectorAll('.turn .snippet')].pop()?.textContent.length > 1"
    )
    session.shot("04-answer-with-passage")

    passage.focus()
    tab.keyboard.press("Enter")
    mark = tab.locator("#viewer mark.passage").first
    mark.wait_for()
    parsed = raw(echo_server, "GET", f"/v1/files/{file_id_of(item)}/parsed", key=echo_server.api_key).text
    marked = mark.inner_text()
    assert marked.strip() and " ".join(marked.split()) in " ".join(parsed.split())
    assert tab.locator("#viewer h3").first.inner_text().startswith("Page ")
    assert tab.evaluate("document.activeElement.tagName") == "MARK"  # keyboard users land on it
    session.shot("05-passage-in-parsed-text")
    assert session.errors == [] and session.dialogs == []


def test_extraction_table_sources_and_csv_download(
    tab: Any, scripted_server: LongdocServer, tmp_path: Path
) -> None:
    session = Session(tab, scripted_server)
    session.sign_in()
    # the extraction engine keeps only items it finds in the text, so the document holds all three
    notes = tmp_path / "commands.txt"
    notes.write_text("".join(f"{item['command']} - {item['purpose']}\n" for item in EXTRACTION["items"]))
    tab.set_input_files("#file-input", str(notes))
    session.wait_processed(notes.name)
    tab.check("#mode-extract")
    tab.fill("#fields", "command, purpose")
    tab.click("#extract-button")
    tab.locator("#extract-result").wait_for()
    rows = tab.locator("#result-table tbody tr")
    assert rows.count() == 3
    assert tab.locator("#result-table thead th").all_inner_texts() == ["command", "purpose"]
    cell = rows.nth(1).locator("td").first
    assert cell.inner_text() == "rm(x, y, z)"
    cell.hover()
    # no grounding from this model: the cell's source is what the answer read
    assert cell.get_attribute("title") == f"{notes.name} · page 1 · “rm(x, y, z)”"  # grounded to its source
    assert tab.locator("#cell-source").inner_text() == f"command: {cell.get_attribute('title')}"
    assert "cost" in tab.locator("#extract-usage").inner_text()
    session.shot("06-extraction-table")

    with tab.expect_download() as csv_download:
        tab.click("#download-csv")
    download = csv_download.value
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(content[1:])))
    assert table == [
        ["command", "purpose"],
        ['source("commands.R")', "run the commands stored in a file"],
        ["rm(x, y, z)", "remove objects, the workspace"],
        ["'=HYPERLINK(1)", 'a "formula" must stay text'],  # kept text in a spreadsheet
    ]
    with tab.expect_download() as json_download:
        tab.click("#download-json")
    downloaded = json.loads(Path(json_download.value.path()).read_text(encoding="utf-8"))
    assert all("_source" in item for item in downloaded["items"])  # grounding was asked for
    assert {
        "items": [{k: v for k, v in item.items() if k != "_source"} for item in downloaded["items"]]
    } == EXTRACTION
    session.shot("07-extraction-downloaded")
    assert session.errors == [] and session.dialogs == []


def test_a_document_holding_script_shows_as_text_and_runs_nothing(
    tab: Any, echo_server: LongdocServer
) -> None:
    session = Session(tab, echo_server)
    session.sign_in()
    session.drop_file(HOSTILE_NAME, HOSTILE_TEXT)
    item = session.wait_processed(HOSTILE_NAME)
    assert item.locator(".file-name").inner_text() == HOSTILE_NAME
    assert tab.locator('#file-list input[type="checkbox"]:checked').count() == 1  # only this upload

    item.get_by_role("button", name="View the text").click()
    viewer_text = tab.locator("#viewer .page-text").first
    viewer_text.wait_for()
    assert "<script>alert(1)</script>" in viewer_text.inner_text()

    turn = session.ask(HOSTILE_QUESTION)
    assert turn.locator(".answer-text").inner_text() == HOSTILE_QUESTION
    assert "<script>alert(1)</script>" in turn.locator(".snippet").first.inner_text()
    turn.locator(".passage-link").first.click()
    assert "<script>alert(1)</script>" in tab.locator("#viewer mark.passage").first.inner_text()

    # only the playground's own module script exists; no element came out of the data
    assert tab.locator("script").count() == 1
    assert tab.locator("img").count() == 0
    # and the Content-Security-Policy would stop an injected inline script even if one got in
    tab.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "alert(9)";
                   document.body.append(s); }"""
    )
    tab.wait_for_timeout(300)
    session.shot("08-script-document-as-text")
    assert session.dialogs == []
    assert session.errors == []


def test_key_is_remembered_and_a_file_can_be_deleted(tab: Any, echo_server: LongdocServer) -> None:
    session = Session(tab, echo_server)
    session.sign_in()
    name = "delete-me.txt"
    session.drop_file(name, "A short note to be deleted.\n")
    item = session.wait_processed(name)
    file_id = file_id_of(item)

    tab.reload()  # the key comes back from localStorage and the list from the server
    tab.wait_for_selector("text=Key accepted.")
    item = session.wait_processed(name)
    session.shot("09-before-delete")

    item.get_by_role("button", name=f"Delete {name}").click()
    confirm = item.get_by_role("button", name=f"Really delete {name}?")
    assert confirm.inner_text() == "Really delete?"
    session.shot("10-delete-confirm")
    confirm.click()
    session.file_item(name).wait_for(state="detached")
    assert raw(echo_server, "GET", f"/v1/files/{file_id}", key=echo_server.api_key).status_code == 404
    assert tab.locator("#files-announcer").inner_text() == f"{name} deleted"
    session.shot("11-deleted")
    assert session.errors == [] and session.dialogs == []


def test_narrow_screen_is_one_column(tab: Any, echo_server: LongdocServer) -> None:
    session = Session(tab, echo_server)
    tab.set_viewport_size({"width": 390, "height": 844})
    session.sign_in()
    session.drop_file("phone.txt", "Read on a phone.\n")
    session.wait_processed("phone.txt")
    session.ask("Short question?")
    files_box = tab.locator(".files-panel").bounding_box()
    work_box = tab.locator(".work-panel").bounding_box()
    assert files_box and work_box and work_box["y"] >= files_box["y"] + files_box["height"]
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    session.shot("12-narrow-screen")
    assert session.errors == [] and session.dialogs == []


def test_a_refused_key_is_not_kept_and_a_broken_file_shows_why(tab: Any, echo_server: LongdocServer) -> None:
    session = Session(tab, echo_server)
    session.open()
    tab.fill("#api-key", "sk-not-a-real-key")
    tab.click("text=Save key")
    tab.wait_for_selector("text=This key was refused")
    assert tab.evaluate("localStorage.getItem('longdoc.apiKey')") is None
    assert tab.locator("#key-help").is_visible()
    session.shot("13-key-refused")

    session.sign_in()
    assert tab.evaluate("localStorage.getItem('longdoc.apiKey')") == echo_server.api_key
    session.drop_file("broken.pdf", "%PDF-1.7\nthis is not a PDF at all\n")
    item = session.file_item("broken.pdf")
    item.locator('.badge[data-status="error"]').wait_for(timeout=60_000)
    reason = item.locator(".file-error").inner_text()
    assert reason and reason != "unknown reason"
    assert item.locator('input[type="checkbox"]').is_disabled()  # cannot be asked about
    assert "broken.pdf error" in tab.locator("#files-announcer").inner_text()
    session.shot("14-parse-error")
    assert session.errors == [] and session.dialogs == []


def test_several_files_at_once_each_with_its_own_status(tab: Any, echo_server: LongdocServer) -> None:
    session = Session(tab, echo_server)
    session.sign_in()
    names = [f"note-{n}.md" for n in range(5)]
    tab.set_input_files(
        "#file-input",
        [
            {"name": name, "mimeType": "text/markdown", "buffer": f"# Note {name}\n\nText.\n".encode()}
            for name in names
        ],
    )
    for name in names:
        item = session.wait_processed(name)
        assert "1 page" in item.locator(".file-meta").inner_text()
    assert tab.locator('#file-list input[type="checkbox"]:checked').count() == len(names)
    assert f"{len(names)} documents" in tab.locator("#selection-note").inner_text()
    session.shot("15-several-files")
    assert session.errors == [] and session.dialogs == []
