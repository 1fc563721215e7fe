"""A long real PDF through a real ``longdoc serve`` with the embedded model (Qwen2.5-Coder-0.5B):
the answer needs a fact from page 200 of 236, far beyond the model's window, so the engine
retrieves it; ``x_context`` says which passages were read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from support.models import require_embedded_model
from support.server import LongdocServer, openai_client, wait_for_status

R_EXTS = Path(__file__).resolve().parents[1] / "data" / "documents" / "R-exts.pdf"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[openai.OpenAI]:
    require_embedded_model()
    server = LongdocServer(tmp_path_factory.mktemp("long") / "data").start()
    try:
        yield openai_client(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def manual_id(client: openai.OpenAI) -> str:
    file = client.files.create(file=R_EXTS, purpose="file-extract")
    assert wait_for_status(client, file.id, timeout=120).status == "processed"
    return file.id


@pytest.mark.slow
def test_a_fact_from_page_200_of_a_236_page_manual(client: openai.OpenAI, manual_id: str) -> None:
    completion = client.chat.completions.create(
        model="qwen-long",
        temperature=0,
        max_tokens=60,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{manual_id}"},
            {
                "role": "user",
                "content": "In which version of R were wilcox_free() and signrank_free() added to Rmath.h?",
            },
        ],
    )
    answer = completion.choices[0].message.content or ""
    assert "4.2" in answer, answer
    context = (completion.model_extra or {})["x_context"]
    assert context["plan"] == "retrieve"
    assert 200 in [p["page"] for p in context["passages"]]
    tokens = (client.files.retrieve(manual_id).model_extra or {})["x_tokens"]
    assert completion.usage is not None and completion.usage.prompt_tokens > tokens > 150_000


@pytest.mark.slow
def test_a_summary_too_long_to_map_reduce_on_cpu_falls_back_and_says_so(
    client: openai.OpenAI, manual_id: str
) -> None:
    stream = client.chat.completions.create(
        model="qwen-long",
        temperature=0,
        max_tokens=80,
        stream=True,
        messages=[
            {"role": "system", "content": f"fileid://{manual_id}"},
            {"role": "user", "content": "Summarise this manual in three sentences."},
        ],
    )
    pieces, context = [], None
    for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            context = (chunk.model_extra or {}).get("x_context") or context
    assert "".join(pieces).strip()
    assert context is not None and context["plan"] == "retrieve"
    assert context["fallback"].startswith("map_reduce too slow")
    pages = [p["page"] for p in context["passages"]]
    assert pages[0] < 40 and pages[-1] > 180
