"""Map-reduce carried out with the fake backend on a real document: every part read once, in
order or in parallel, notes combined to fit, progress reported, cancel honoured."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from context_documents import Source

from longdoc.config import ContextSettings
from longdoc.context.map_reduce import MapReduceRun, Note, Progress, render_note
from longdoc.context.plans import ContextPlanner, MapReducePlan, PlanRequest
from longdoc.context.query import Turn
from longdoc.context.tokens import TokenCounter
from longdoc.inference.base import Throughput
from longdoc.inference.fake import FakeBackend
from longdoc.parsing import parse_path

DOCUMENTS = Path(__file__).resolve().parents[2] / "data" / "documents"
QUESTION = "Summarise what the guide says about installation."


@pytest.fixture(scope="module")
def guide(counter: TokenCounter) -> Source:
    path = DOCUMENTS / "spqr_user_guide.pdf"
    document = parse_path(path, filename=path.name)
    return Source("file-spqr", path.name, document, counter.count(document.text))


def planned(counter: TokenCounter, guide: Source, room: int = 1_500) -> MapReducePlan:
    planner = ContextPlanner(ContextSettings(), counter)
    request = PlanRequest(
        sources=[guide],
        turns=[Turn("user", QUESTION)],
        room_tokens=room,
        throughput=Throughput(1e6, 1e6),
        strategy="map_reduce",
    )
    plan = planner.plan(request)
    assert isinstance(plan, MapReducePlan)
    return plan


def run_all(run: MapReduceRun, cancel: threading.Event | None = None) -> tuple[list[Progress], list[Note]]:
    progress: list[Progress] = []
    notes: list[Note] = []
    for item in run.notes(cancel):
        if isinstance(item, Progress):
            progress.append(item)
        else:
            notes = item
    return progress, notes


def test_every_part_is_read_once_in_order_and_empty_notes_are_dropped(
    counter: TokenCounter, guide: Source
) -> None:
    plan = planned(counter, guide)
    assert len(plan.parts) >= 3
    backend = FakeBackend(["NONE", "The guide installs with make."])
    progress, notes = run_all(MapReduceRun(plan, [guide], backend, counter, note_tokens=50))
    total = len(plan.parts)
    assert progress == [Progress(i, total) for i in range(total + 1)]
    assert len(backend.calls) == total  # the notes fit: no reduce step
    for part, (messages, params) in zip(plan.parts, backend.calls, strict=True):
        prompt = messages[-1].content
        assert f"[{part.number}] Part {part.number} of {total}" in prompt and QUESTION in prompt
        assert guide.document.text[part.start : part.end][:60] in prompt
        assert params.max_tokens == 50
    assert [n.parts for n in notes] == [(p.number,) for p in plan.parts if p.number % 2 == 0]
    assert all(n.text == "The guide installs with make." for n in notes)


def test_parallel_requests_read_every_part_and_keep_part_order(counter: TokenCounter, guide: Source) -> None:
    plan = planned(counter, guide)
    backend = FakeBackend(seconds_per_token=0.0005)  # echoes the prompt: every part yields a note
    backend.throughput = Throughput(1e6, 1e6, parallel_requests=4)
    progress, notes = run_all(MapReduceRun(plan, [guide], backend, counter, note_tokens=20))
    assert [p.done for p in progress] == list(range(len(plan.parts) + 1))
    assert [n.parts for n in notes] == [(p.number,) for p in plan.parts]
    assert len(backend.calls) == len(plan.parts)


def test_notes_longer_than_a_prompt_are_combined_until_they_fit(counter: TokenCounter, guide: Source) -> None:
    plan = planned(counter, guide, room=600)
    note = "A relevant fact about installing SPQR, with numbers 1 2 3 and names. " * 4
    backend = FakeBackend([note])
    run = MapReduceRun(plan, [guide], backend, counter, note_tokens=200)
    _, notes = run_all(run)
    assert len(backend.calls) > len(plan.parts)  # reduce steps ran
    assert sum(counter.count(render_note(n)) + 2 for n in notes) <= plan.room_tokens
    # every part that gave a note is still cited by some combined note
    assert sorted(n for combined in notes for n in combined.parts) == [p.number for p in plan.parts]
    reduce_prompt = backend.calls[-1][0][-1].content
    assert "Combine these notes" in reduce_prompt and QUESTION in reduce_prompt


def test_cancel_stops_between_parts(counter: TokenCounter, guide: Source) -> None:
    plan = planned(counter, guide)
    backend = FakeBackend(["note"])
    cancel = threading.Event()
    run = MapReduceRun(plan, [guide], backend, counter, note_tokens=20)
    for item in run.notes(cancel):
        if isinstance(item, Progress) and item.done == 1:
            cancel.set()
    assert len(backend.calls) == 1
