"""Long documents through the real app with the fake model: the parse job builds each file's
index, the engine picks a plan, and ``x_context`` reports what the model read, numbered as the
prompt numbers it."""

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
from support.envelopes import assert_openai_error
from support.jobs import drain_jobs

DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
PAGE_200_QUESTION = "In which version of R were wilcox_free() and signrank_free() added to Rmath.h?"
PAGE_200_FACT = "signrank_free() were only added to Rmath.h in R 4.2.0"
LABEL = re.compile(r"^\[(\d+)\] \((.+?)(?:, page (\d+))?\)$", re.MULTILINE)


def build(tmp_path: Path, database_url: str, **fake: Any) -> Services:
    backend = {"kind": "fake", "context_window": 8_192, "prompt_budget_tokens": 3_000, **fake}
    settings = Settings(
        data_dir=tmp_path / "data",
        storage={"database_url": database_url},
        inference={"backends": {"embedded": backend}},
    )
    return build_services(settings)


@pytest.fixture
def long_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    built = build(tmp_path, database_url)
    yield built
    built.close()


@pytest.fixture
def caller(long_services: Services) -> Iterator[Caller]:
    with TestClient(create_app(long_services)) as client:
        yield Caller(client, long_services.keys.create_key("alice"))


def processed(caller: Caller, services: Services, path: Path) -> str:
    file_id = str(caller.upload(path.name, path.read_bytes())["id"])
    drain_jobs(services)
    assert caller.client.get(f"/v1/files/{file_id}", headers=caller.headers).json()["status"] == "processed"
    return file_id


def ask(caller: Caller, file_ids: list[str], *turns: str, **extra: Any) -> dict[str, Any]:
    messages: list[dict[str, str]] = [{"role": "system", "content": "You are a helpful assistant."}]
    messages += [{"role": "system", "content": ",".join(f"fileid://{f}" for f in file_ids)}]
    for i, turn in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": turn})
    response = caller.client.post(
        "/compatible-mode/v1/chat/completions",
        headers=caller.headers,
        json={"model": "qwen-long", "messages": messages, **extra},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def system_prompt(services: Services) -> str:
    backend = services.backends["embedded"]
    assert isinstance(backend, FakeBackend)
    return backend.calls[-1][0][0].content


def test_the_parse_job_stores_an_index_and_delete_releases_it(
    caller: Caller, long_services: Services
) -> None:
    file_id = processed(caller, long_services, DOCUMENTS / "R-exts.pdf")
    record = long_services.library.get(caller_account(long_services, caller), file_id)
    assert record.index_sha256 is not None and long_services.blobs.exists(record.index_sha256)
    index = long_services.library.index(record)
    assert index is not None and index.file_id == file_id and index.chunk_count > 500
    assert long_services.library.index(record) is index  # cached, not loaded again
    assert caller.client.delete(f"/v1/files/{file_id}", headers=caller.headers).status_code == 200
    assert not long_services.blobs.exists(record.index_sha256)


def caller_account(services: Services, caller: Caller) -> str:
    principal = services.keys.authenticate(caller.key)
    assert principal is not None
    return principal.account_id


def test_a_fact_on_page_200_is_retrieved_and_cited_passages_match_the_report(
    caller: Caller, long_services: Services
) -> None:
    file_id = processed(caller, long_services, DOCUMENTS / "R-exts.pdf")
    body = ask(caller, [file_id], PAGE_200_QUESTION)
    context = body["x_context"]
    assert context["plan"] == "retrieve" and context["fallback"] is None
    passages = context["passages"]
    assert 200 in [p["page"] for p in passages]
    assert all(p["file_id"] == file_id and p["document"] == "R-exts.pdf" for p in passages)
    assert [p["start"] for p in passages] == sorted(p["start"] for p in passages)
    # the prompt numbers the passages [1], [2]… exactly as x_context lists them
    system = system_prompt(long_services)
    labels = LABEL.findall(system)
    assert [int(n) for n, _, _ in labels] == list(range(1, len(passages) + 1))
    assert [(name, int(page)) for _, name, page in labels] == [(p["document"], p["page"]) for p in passages]
    assert PAGE_200_FACT in system
    # what the model read is within the embedded budget (3,000 tokens, conversation included)
    assert long_services.tokens.count(system) < 3_000
    # billed as the service bills: every token of the document
    tokens = caller.client.get(f"/v1/files/{file_id}", headers=caller.headers).json()["x_tokens"]
    assert body["usage"]["prompt_tokens"] > tokens > 150_000


def test_a_follow_up_question_searches_with_the_conversation(caller: Caller, long_services: Services) -> None:
    file_id = processed(caller, long_services, DOCUMENTS / "R-exts.pdf")
    first = ask(caller, [file_id], PAGE_200_QUESTION)["x_context"]["passages"]
    follow = ask(caller, [file_id], PAGE_200_QUESTION, "In R 4.2.0.", "And before that version?")
    assert 200 in [p["page"] for p in follow["x_context"]["passages"]]
    alone = ask(caller, [file_id], "And before that version?")["x_context"]["passages"]
    assert 200 in [p["page"] for p in first] and 200 not in [p["page"] for p in alone]


def test_small_documents_are_passed_whole_unless_a_plan_is_forced(
    caller: Caller, long_services: Services
) -> None:
    file_id = processed(caller, long_services, DOCUMENTS / "spqr_user_guide.pdf")
    assert (
        ask(caller, [file_id], "What does SPQR compute?")["x_context"]["plan"] == "retrieve"
    )  # 12 pages > 3,000
    small = processed(caller, long_services, DOCUMENTS / "debian-edu-manual.en.p26.pdf")
    whole = ask(caller, [small], "What is on this page?")["x_context"]
    assert whole["plan"] == "full" and whole["passages"][0]["start"] == 0
    forced = ask(caller, [small], "What is on this page?", x_context_strategy="retrieve")["x_context"]
    assert forced["plan"] == "retrieve" and forced["passages"]


def test_forcing_full_on_a_long_document_names_the_sizes(caller: Caller, long_services: Services) -> None:
    file_id = processed(caller, long_services, DOCUMENTS / "R-exts.pdf")
    response = caller.client.post(
        "/v1/chat/completions",
        headers=caller.headers,
        json={
            "model": "qwen-long",
            "messages": [
                {"role": "system", "content": f"fileid://{file_id}"},
                {"role": "user", "content": "Hi"},
            ],
            "x_context_strategy": "full",
        },
    )
    message = assert_openai_error(response, 400)["message"]
    assert "R-exts.pdf" in message and "8,192" in message


def test_an_unknown_strategy_is_refused(caller: Caller, long_services: Services) -> None:
    response = caller.client.post(
        "/v1/chat/completions",
        headers=caller.headers,
        json={
            "model": "qwen-long",
            "messages": [{"role": "user", "content": "Hi"}],
            "x_context_strategy": "skim",
        },
    )
    assert_openai_error(response, 400)


def test_map_reduce_reads_every_part_and_streams_progress(caller: Caller, long_services: Services) -> None:
    file_id = processed(caller, long_services, DOCUMENTS / "spqr_user_guide.pdf")
    with caller.client.stream(
        "POST",
        "/v1/chat/completions",
        headers=caller.headers,
        json={
            "model": "qwen-long",
            "stream": True,
            "messages": [
                {"role": "system", "content": f"fileid://{file_id}"},
                {"role": "user", "content": "Summarise the user guide."},
            ],
        },
    ) as response:
        assert response.status_code == 200
        lines = [line for line in response.iter_lines() if line]
    progress = [line for line in lines if line.startswith(": progress")]
    events = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    final = [e for e in events if e.get("x_context")][-1]["x_context"]
    assert final["plan"] == "map_reduce"
    parts = final["passages"]
    assert (
        progress[0] == f": progress 0/{len(parts)}"
        and progress[-1] == f": progress {len(parts)}/{len(parts)}"
    )
    # the parts tile the document in order; together they are all of it
    assert [p["start"] for p in parts] == sorted(p["start"] for p in parts)
    parsed = caller.client.get(f"/v1/files/{file_id}/parsed?format=json", headers=caller.headers).json()
    assert parts[0]["page"] == 1 and parts[-1]["end"] > parsed["pages"][-1]["start"]
    backend = long_services.backends["embedded"]
    assert isinstance(backend, FakeBackend)
    maps = [call for call in backend.calls if "Summarise the user guide." in call[0][-1].content]
    assert len(maps) >= len(parts)


def test_a_map_reduce_too_slow_for_the_backend_falls_back_and_says_so(
    tmp_path: Path, database_url: str
) -> None:
    services = build(tmp_path, database_url, prompt_tokens_per_second=150.0, generate_tokens_per_second=30.0)
    try:
        with TestClient(create_app(services)) as client:
            caller = Caller(client, services.keys.create_key("alice"))
            file_id = processed(caller, services, DOCUMENTS / "R-exts.pdf")
            context = ask(caller, [file_id], "Summarise the whole manual.")["x_context"]
    finally:
        services.close()
    assert context["plan"] == "retrieve"
    assert context["fallback"].startswith("map_reduce too slow: estimated")
    pages = [p["page"] for p in context["passages"]]
    assert pages == sorted(pages) and pages[0] < 30 and pages[-1] > 200


def test_passages_from_several_files_keep_the_files_order(caller: Caller, long_services: Services) -> None:
    guide = processed(caller, long_services, DOCUMENTS / "spqr_user_guide.pdf")
    manual = processed(caller, long_services, DOCUMENTS / "R-exts.pdf")
    context = ask(caller, [guide, manual], "sparse QR factorization and R's .Call interface to C code")[
        "x_context"
    ]
    files = [p["file_id"] for p in context["passages"]]
    assert set(files) == {guide, manual} and files == sorted(files, key=[guide, manual].index)


def test_text_documents_are_retrieved_from_too(caller: Caller, long_services: Services) -> None:
    filler = "\n\n".join(f"Paragraph {i} of the handbook says nothing of interest." for i in range(600))
    text = filler + "\n\nThe access code for vault 7F3K is 491-204.\n\n" + filler
    body = caller.client.post(
        "/v1/chat/completions",
        headers=caller.headers,
        json={
            "model": "qwen-long",
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "system", "content": text},
                {"role": "user", "content": "What is the access code for vault 7F3K?"},
            ],
        },
    ).json()
    context = body["x_context"]
    assert context["plan"] == "retrieve"
    assert context["passages"][0]["file_id"] is None and context["passages"][0]["document"] == "document 1"
    assert "491-204" in system_prompt(long_services)
