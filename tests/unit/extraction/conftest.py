"""A whole extraction run through ``ExtractionEngine`` with a fake model that answers each part
from the part's own text, as the pipeline hands it over."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from longdoc.chat.conversation import Conversation, Message
from longdoc.chat.engine import ChatRequest, Extracted
from longdoc.config import ContextSettings, ExtractionSettings
from longdoc.context.tokens import TokenCounter
from longdoc.core.documents import Document
from longdoc.core.extraction import ExtractionExample, ExtractionOptions
from longdoc.documents.ready import ReadyDocument
from longdoc.extraction.engine import ExtractionEngine
from longdoc.extraction.run import DocumentExtraction
from longdoc.inference.base import ChatMessage, GenerationParams, Throughput
from longdoc.inference.catalog import builtin_entries
from longdoc.inference.fake import FakeBackend

PART = re.compile(r"<<<\n(.*)\n>>>", re.DOTALL)
Answer = Callable[[str], Any]  # a part's text → what the "model" answers for it
Extract = Callable[..., Any]


class PartReader(FakeBackend):
    """Answers each part with ``answer(part text)``."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(context_window=8_192)
        self.prompt_budget_tokens = 4_000
        self._answer = answer

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        found = PART.search(messages[-1].content)
        return json.dumps(self._answer(found.group(1) if found else ""), ensure_ascii=False)


@pytest.fixture(scope="session")
def tokens() -> TokenCounter:
    return TokenCounter()


@pytest.fixture
def planned(tokens: TokenCounter) -> Callable[..., DocumentExtraction]:
    """``planned(texts, schema, answer, profile=None, part_tokens=…, examples=…, instruction=…)``:
    the extraction run for the texts, planned by ``ExtractionEngine`` and not yet run (an empty
    schema: the instruction's)."""

    def plan(
        texts: Sequence[str],
        schema: dict[str, Any],
        answer: Answer,
        profile: str | None = None,
        part_tokens: int = 1_500,
        *,
        throughput: Throughput | None = None,
        bounded: bool = True,
        settings: ExtractionSettings | None = None,
        examples: Sequence[ExtractionExample] = (),
        instruction: str = "Extract the data the JSON schema describes.",
    ) -> DocumentExtraction:
        settings = settings or ExtractionSettings(
            part_tokens=part_tokens, object_part_tokens=max(64, part_tokens)
        )
        engine = ExtractionEngine(tokens, ContextSettings(), settings)
        model = PartReader(answer)
        if throughput is not None:
            model.throughput = throughput
        documents = [
            ReadyDocument(n, f"doc-{n}.txt", None, Document(format="txt", text=text), tokens.count(text))
            for n, text in enumerate(texts, start=1)
        ]
        request = ChatRequest(
            model="qwen-long",
            messages=[Message("user", instruction)],
            params=GenerationParams(json_schema=schema or None, json_object=not schema),
            extraction=ExtractionOptions(grounding=True, profile=profile, examples=tuple(examples)),
        )
        entry = next(e for e in builtin_entries("fake") if e.name == "qwen-long")
        conversation = Conversation(None, [], [Message("user", instruction)])
        run = engine.plan(entry, model, request, conversation, documents, bounded=bounded)
        assert run is not None
        return run

    return plan


@pytest.fixture
def extract(planned: Callable[..., DocumentExtraction]) -> Extract:
    """``extract(texts, schema, answer, profile=None, part_tokens=…)``: the extracted JSON, with
    ``_source`` spans, and the number of parts read."""

    def run(*args: Any, **kwargs: Any) -> tuple[Any, int]:
        extraction = planned(*args, **kwargs)
        events = list(extraction.run(None))
        final = events[-1]
        assert isinstance(final, Extracted)
        return json.loads(final.text), len(extraction.report.passages)

    return run
