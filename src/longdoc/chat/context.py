"""Fitting a request's documents into the engine model's prompt, and reporting what it read.

The planner (``context.plans``) chooses; this module turns its choice into the model's messages:
whole documents, numbered passages ``[n] (document, page p)``, or — for map-reduce — the notes
taken part by part, once they exist. ``ContextReport.passages`` lists what was read in the order
of those numbers, so an answer's [n] points at ``x_context.passages[n-1]``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from longdoc.chat.conversation import Conversation
from longdoc.chat.prompt import NOTES_INSTRUCTION, PASSAGES_INSTRUCTION, build_messages
from longdoc.context.map_reduce import MapReduceRun, Note, Progress, location, render_note
from longdoc.context.parts import Part
from longdoc.context.plans import ContextPlanner, MapReducePlan, PlanRequest, RetrievePlan, Strategy
from longdoc.context.query import Turn
from longdoc.context.tokens import TokenCounter
from longdoc.core import chunks
from longdoc.documents.ready import ReadyDocument
from longdoc.inference.base import ChatMessage, InferenceBackend

# ChatML adds a few tokens around every message.
MESSAGE_OVERHEAD_TOKENS = 4


@dataclass(frozen=True)
class Passage:
    """A part of a document the model read (a retrieved passage, a map-reduce part, a whole document)."""

    file_id: str | None  # None for a document given as text or by URL
    document: str
    page: int | None
    start: int
    end: int
    score: float | None = None

    @classmethod
    def of(cls, passage: chunks.Passage, source: ReadyDocument) -> Passage:
        return cls(
            source.file_id, source.name, passage.page, passage.start, passage.end, round(passage.score, 4)
        )


@dataclass(frozen=True)
class FailedPart:
    """A part of the documents whose reading gave nothing usable (an extraction's invalid answer)."""

    part: int  # 1-based, as the progress counts parts
    passage: Passage
    reason: str


@dataclass(frozen=True)
class ContextReport:
    plan: str  # full, retrieve, map_reduce or extract
    passages: list[Passage]
    fallback: str | None = None  # why the plan differs from the one chosen or asked for
    failed_parts: list[FailedPart] = field(default_factory=list)


@dataclass(frozen=True)
class MapReduceAnswer:
    """The part of a map-reduce that runs while streaming: read the parts, then build the prompt."""

    run: MapReduceRun
    conversation: Conversation
    documents: list[ReadyDocument]

    def notes(self, cancel: threading.Event | None) -> Iterator[Progress | list[Note]]:
        return self.run.notes(cancel)

    def messages(self, notes: Sequence[Note]) -> list[ChatMessage]:
        blocks = [render_note(n) for n in notes] or ["(No part of the documents holds anything relevant.)"]
        return build_messages(self.conversation, self.documents, blocks, instruction=NOTES_INSTRUCTION)


@dataclass(frozen=True)
class FittedContext:
    messages: list[ChatMessage]  # for map-reduce: the prompt without notes, to check the window with
    report: ContextReport
    map_reduce: MapReduceAnswer | None = None
    reserved_tokens: int = 0  # prompt still to come (map-reduce notes), on top of ``messages``


class ContextFitter:
    def __init__(self, planner: ContextPlanner, counter: TokenCounter, note_tokens: int) -> None:
        self._planner = planner
        self._counter = counter
        self._note_tokens = note_tokens

    def fit(
        self,
        conversation: Conversation,
        documents: list[ReadyDocument],
        backend: InferenceBackend,
        strategy: Strategy,
    ) -> FittedContext:
        if not documents:
            return FittedContext(build_messages(conversation, []), ContextReport("full", []))
        budget = backend.prompt_budget
        spoken = build_messages(conversation, documents, [], instruction=PASSAGES_INSTRUCTION)
        used = sum(self._counter.count(m.content) + MESSAGE_OVERHEAD_TOKENS for m in spoken)
        request = PlanRequest(
            sources=documents,
            turns=[Turn(t.role, t.content) for t in conversation.turns],
            # a conversation longer than the budget still leaves the documents a quarter of it
            room_tokens=max(budget - used, budget // 4),
            throughput=backend.throughput,
            strategy=strategy,
            label_tokens=self._label_tokens(documents),
        )
        plan = self._planner.plan(request)
        if isinstance(plan, RetrievePlan):
            return self._retrieved(conversation, documents, plan)
        if isinstance(plan, MapReducePlan):
            return self._map_reduce(conversation, documents, plan, backend)
        whole = [
            Passage(d.file_id, d.name, 1 if d.document.pages else None, 0, len(d.document.text))
            for d in documents
        ]
        return FittedContext(
            build_messages(conversation, documents), ContextReport("full", whole, plan.fallback)
        )

    def _label_tokens(self, documents: Sequence[ReadyDocument]) -> int:
        longest = max(documents, key=lambda d: len(d.name))
        return self._counter.count(f"[100] ({location(longest.name, 10_000)})\n\n\n") + 1

    @staticmethod
    def _retrieved(
        conversation: Conversation, documents: list[ReadyDocument], plan: RetrievePlan
    ) -> FittedContext:
        by_key = {d.key: d for d in documents}
        blocks: list[str] = []
        read: list[Passage] = []
        for n, passage in enumerate(plan.passages, start=1):
            source = by_key[passage.file_id]
            blocks.append(
                f"[{n}] ({location(source.name, passage.page)})\n{passage.text(source.document.text)}"
            )
            read.append(Passage.of(passage, source))
        messages = build_messages(conversation, documents, blocks, instruction=PASSAGES_INSTRUCTION)
        return FittedContext(messages, ContextReport("retrieve", read, plan.fallback))

    def _map_reduce(
        self,
        conversation: Conversation,
        documents: list[ReadyDocument],
        plan: MapReducePlan,
        backend: InferenceBackend,
    ) -> FittedContext:
        run = MapReduceRun(plan, documents, backend, self._counter, note_tokens=self._note_tokens)
        read = [_part_passage(part, documents[part.source]) for part in plan.parts]
        answer = MapReduceAnswer(run, conversation, documents)
        report = ContextReport("map_reduce", read, plan.fallback)
        return FittedContext(answer.messages([]), report, answer, reserved_tokens=plan.room_tokens)


def _part_passage(part: Part, source: ReadyDocument) -> Passage:
    return Passage(source.file_id, source.name, part.first_page, part.start, part.end)
