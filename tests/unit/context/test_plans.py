"""The context plans on real documents: which plan, which passages, in which order, within budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from context_documents import Source

from longdoc.config import ContextSettings
from longdoc.context.plans import (
    ContextPlanner,
    FullPlan,
    MapReducePlan,
    PlanRequest,
    RetrievePlan,
    Strategy,
    wants_whole_text,
)
from longdoc.context.query import Turn
from longdoc.context.tokens import TokenCounter
from longdoc.core.documents import Document
from longdoc.inference.base import Throughput
from longdoc.parsing import parse_path
from longdoc.parsing.base import DocumentBuilder

DOCUMENTS = Path(__file__).resolve().parents[2] / "data" / "documents"
FAST = Throughput(prompt_tokens_per_second=1e6, generate_tokens_per_second=1e6)
CPU = Throughput(prompt_tokens_per_second=150, generate_tokens_per_second=30)
PAGE_200_QUESTION = "In which version of R were wilcox_free() and signrank_free() added to Rmath.h?"


def source(counter: TokenCounter, name: str, document: Document, key: str | None = None) -> Source:
    return Source(key or name, name, document, counter.count(document.text))


@pytest.fixture(scope="module")
def r_exts(counter: TokenCounter) -> Source:
    """R's "Writing R Extensions", 236 pages, ≈ 177k tokens."""
    return source(
        counter, "R-exts.pdf", parse_path(DOCUMENTS / "R-exts.pdf", filename="R-exts.pdf"), "file-rexts"
    )


@pytest.fixture(scope="module")
def spqr(counter: TokenCounter) -> Source:
    path = DOCUMENTS / "spqr_user_guide.pdf"
    return source(counter, path.name, parse_path(path, filename=path.name), "file-spqr")


@pytest.fixture(scope="module")
def planner(counter: TokenCounter) -> ContextPlanner:
    return ContextPlanner(ContextSettings(), counter)


def ask(
    sources: list[Source],
    question: str,
    *,
    room: int = 3_000,
    strategy: Strategy = "auto",
    throughput: Throughput = FAST,
    history: tuple[Turn, ...] = (),
) -> PlanRequest:
    return PlanRequest(
        sources=sources,
        turns=[*history, Turn("user", question)],
        room_tokens=room,
        throughput=throughput,
        strategy=strategy,
    )


def test_documents_that_fit_are_passed_whole(planner: ContextPlanner, spqr: Source) -> None:
    assert isinstance(planner.plan(ask([spqr], "What does SPQR compute?", room=spqr.tokens * 2)), FullPlan)
    # one token short of the room, the same question retrieves
    room = planner.whole_tokens([spqr]) - 1
    assert isinstance(planner.plan(ask([spqr], "What does SPQR compute?", room=room)), RetrievePlan)


def test_a_fact_from_page_200_is_retrieved_within_budget_in_document_order(
    planner: ContextPlanner, r_exts: Source
) -> None:
    request = ask([r_exts], PAGE_200_QUESTION)
    plan = planner.plan(request)
    assert isinstance(plan, RetrievePlan) and plan.fallback is None
    assert 200 in [p.page for p in plan.passages]
    assert any(
        "signrank_free() were only added to Rmath.h in R 4.2.0" in p.text(r_exts.document.text)
        for p in plan.passages
    )
    assert sum(p.tokens + request.label_tokens for p in plan.passages) <= 3_000
    assert [p.start for p in plan.passages] == sorted(p.start for p in plan.passages)
    # the document's opening comes first; after it, weak matches below the floor are left out
    assert plan.passages[0].chunk == 0 and plan.passages[0].page == 1
    best = max(p.score for p in plan.passages)
    assert all(p.score >= best * ContextSettings().retrieve_min_score for p in plan.passages[1:])
    # deterministic: the same request gives the same passages
    assert planner.plan(ask([r_exts], PAGE_200_QUESTION)).passages == plan.passages  # type: ignore[union-attr]


def test_each_document_opens_its_passages_while_openings_are_cheap(
    planner: ContextPlanner, counter: TokenCounter, r_exts: Source, spqr: Source
) -> None:
    question = "sparse QR factorization and calling C code from R with .Call"
    plan = planner.plan(ask([spqr, r_exts], question, room=4_000))
    assert isinstance(plan, RetrievePlan)
    firsts = [p for p in plan.passages if p.chunk == 0]
    assert [p.file_id for p in firsts] == ["file-spqr", "file-rexts"]
    assert sum(p.tokens + 16 for p in firsts) <= 4_000 * ContextSettings().retrieve_opening_share
    # without room for them, only what matches the question is read
    none = ContextPlanner(ContextSettings(retrieve_opening_share=0), counter)
    plan = none.plan(ask([spqr, r_exts], question, room=4_000))
    assert isinstance(plan, RetrievePlan) and all(p.score > 0 for p in plan.passages)


def test_a_smaller_budget_reads_fewer_passages(planner: ContextPlanner, r_exts: Source) -> None:
    question = "How do I register native routines with R_registerRoutines?"
    wide = planner.plan(ask([r_exts], question, room=6_000))
    narrow = planner.plan(ask([r_exts], question, room=800))
    assert isinstance(wide, RetrievePlan) and isinstance(narrow, RetrievePlan)
    assert 0 < len(narrow.passages) < len(wide.passages)
    assert sum(p.tokens + 16 for p in narrow.passages) <= 800
    best = max(narrow.passages, key=lambda p: p.score)
    assert best.chunk in {p.chunk for p in wide.passages}


def test_passages_of_several_files_follow_the_files_order(
    planner: ContextPlanner, r_exts: Source, spqr: Source
) -> None:
    question = "sparse QR factorization with SuiteSparseQR and calling C code from R with .Call"
    plan = planner.plan(ask([spqr, r_exts], question, room=4_000))
    assert isinstance(plan, RetrievePlan)
    files = [p.file_id for p in plan.passages]
    assert set(files) == {"file-spqr", "file-rexts"}
    assert files == sorted(files, key=["file-spqr", "file-rexts"].index)


def test_a_stored_index_is_used_as_it_is(
    planner: ContextPlanner, counter: TokenCounter, spqr: Source
) -> None:
    from longdoc.context.indexing import build_index

    stored = build_index(spqr.document, file_id=spqr.key, counter=counter, settings=ContextSettings())
    with_index = Source(spqr.key, spqr.name, spqr.document, spqr.tokens, stored)
    assert planner.indexes([with_index]) == [stored]
    assert planner.indexes([with_index])[0] is stored
    plan = planner.plan(ask([with_index], "column ordering", room=500, strategy="map_reduce"))
    assert isinstance(plan, MapReducePlan) and plan.indexes[0] is stored


def test_a_question_matching_nothing_reads_passages_spread_over_the_document(
    planner: ContextPlanner, r_exts: Source
) -> None:
    plan = planner.plan(ask([r_exts], "Zyzzyva quixotic blorbs?", room=2_000))
    assert isinstance(plan, RetrievePlan)
    pages = [p.page or 0 for p in plan.passages]
    assert len(pages) >= 4 and pages[0] < 40 and pages[-1] > 180


def test_a_follow_up_question_retrieves_with_the_conversation(
    planner: ContextPlanner, counter: TokenCounter
) -> None:
    builder = DocumentBuilder("txt")
    filler = "This paragraph describes the catalogue layout, shipping and returns. " * 30
    for name, warranty, price in [("X1 drill", 24, 8999), ("Z5 saw", 36, 1200), ("K2 sander", 12, 450)]:
        builder.start_page()
        builder.paragraph(filler)
        builder.paragraph(
            f"The {name} has a warranty of {warranty} months. Price of the {name}: {price} yuan."
        )
        builder.paragraph(filler)
    catalogue = source(counter, "catalogue.txt", builder.build())
    history = (
        Turn("user", "How long is the warranty of the Z5 saw?"),
        Turn("assistant", "The Z5 saw has a warranty of 36 months."),
    )
    # room for one product's passage: the one the conversation is about
    plan = planner.plan(ask([catalogue], "And its price?", room=60, history=history))
    assert isinstance(plan, RetrievePlan)
    assert [p.text(catalogue.document.text) for p in plan.passages] == [
        "The Z5 saw has a warranty of 36 months. Price of the Z5 saw: 1200 yuan."
    ]
    # without the conversation, "price" alone does not single out the Z5
    alone = planner.plan(ask([catalogue], "And its price?", room=60))
    assert isinstance(alone, RetrievePlan) and len(alone.passages) == 1
    assert "Z5" not in alone.passages[0].text(catalogue.document.text)


@pytest.mark.parametrize(
    "question",
    ["Summarize this document.", "Give me an overview of the manual", "List all the functions it documents",
     "Compare the two agreements", "总结一下这份文档", "比较这两个文件的区别", "列出所有的条款"],
)  # fmt: skip
def test_whole_text_questions(question: str) -> None:
    assert wants_whole_text(question)


@pytest.mark.parametrize(
    "question", ["What is the price of the X1?", "Who signed the agreement?", "保修期多长？"]
)
def test_fact_questions(question: str) -> None:
    assert not wants_whole_text(question)


def test_auto_maps_and_reduces_a_summary_when_the_backend_is_fast_enough(
    planner: ContextPlanner, spqr: Source
) -> None:
    plan = planner.plan(ask([spqr], "Summarise the user guide.", room=2_000))
    assert isinstance(plan, MapReducePlan)
    # the parts cover the whole document, in order, each within a prompt
    assert plan.parts[0].start == 0 or spqr.document.text[: plan.parts[0].start].strip() == ""
    assert [p.number for p in plan.parts] == list(range(1, len(plan.parts) + 1))
    assert all(a.end <= b.start for a, b in zip(plan.parts, plan.parts[1:], strict=False))
    assert all(p.tokens <= plan.part_tokens for p in plan.parts)
    assert sum(p.last_chunk - p.first_chunk + 1 for p in plan.parts) == plan.indexes[0].chunk_count


def test_a_map_reduce_too_slow_for_the_backend_falls_back_to_a_broad_retrieval(
    planner: ContextPlanner, r_exts: Source
) -> None:
    plan = planner.plan(ask([r_exts], "Summarise the whole manual.", throughput=CPU))
    assert isinstance(plan, RetrievePlan)
    assert plan.fallback is not None and plan.fallback.startswith("map_reduce too slow: estimated")
    pages = [p.page or 0 for p in plan.passages]
    assert pages == sorted(pages) and pages[0] < 30 and pages[-1] > 200
    # forced, the same: a map-reduce over 177k tokens on a CPU is hours
    forced = planner.plan(ask([r_exts], "What is on page 3?", strategy="map_reduce", throughput=CPU))
    assert isinstance(forced, RetrievePlan) and forced.fallback


def test_the_estimate_grows_with_the_document_and_shrinks_with_parallel_requests(
    planner: ContextPlanner, r_exts: Source, spqr: Source
) -> None:
    small = planner.plan(ask([spqr], "Summarise it.", strategy="map_reduce"))
    big = planner.plan(ask([r_exts], "Summarise it.", strategy="map_reduce"))
    assert isinstance(small, MapReducePlan) and isinstance(big, MapReducePlan)
    serial = planner.estimate_map_reduce(big.parts, big.room_tokens, CPU)
    parallel = planner.estimate_map_reduce(
        big.parts,
        big.room_tokens,
        Throughput(CPU.prompt_tokens_per_second, CPU.generate_tokens_per_second, 8),
    )
    assert planner.estimate_map_reduce(small.parts, small.room_tokens, CPU) < serial
    assert serial / 8 <= parallel < serial / 4
    # reading every part costs at least its tokens at the prompt speed
    assert serial >= sum(p.tokens for p in big.parts) / CPU.prompt_tokens_per_second


def test_forced_strategies(planner: ContextPlanner, spqr: Source, r_exts: Source) -> None:
    room = spqr.tokens * 2
    assert isinstance(
        planner.plan(ask([spqr], "What does SPQR compute?", room=room, strategy="retrieve")), RetrievePlan
    )
    assert isinstance(
        planner.plan(ask([spqr], "What does SPQR compute?", room=room, strategy="map_reduce")), MapReducePlan
    )
    # full is the caller's to check against the window
    assert isinstance(planner.plan(ask([r_exts], PAGE_200_QUESTION, strategy="full")), FullPlan)


def test_the_candidates_grow_with_the_room(planner: ContextPlanner, r_exts: Source) -> None:
    indexes = planner.indexes([r_exts])
    least = ContextSettings().search_candidates
    counts = [planner.candidates(indexes, room, 16) for room in (2_000, 8_000, 32_000, 128_000)]
    assert counts[0] == least  # a small room keeps the setting's count
    assert counts == sorted(counts) and counts[-1] > 4 * counts[1] > 4 * least
    assert planner.candidates([], 32_000, 16) == least


def test_a_large_room_is_filled_past_the_first_fifty_passages(counter: TokenCounter, r_exts: Source) -> None:
    question = "How do I register native routines and call C code from R with .Call?"
    filling = ContextPlanner(ContextSettings(retrieve_min_score=0), counter)
    plan = filling.plan(ask([r_exts], question, room=40_000))
    assert isinstance(plan, RetrievePlan)
    assert len(plan.passages) > ContextSettings().search_candidates
    assert 0.9 * 40_000 <= sum(p.tokens + 16 for p in plan.passages) <= 40_000


def test_a_page_printed_twice_is_read_once(planner: ContextPlanner, counter: TokenCounter) -> None:
    builder = DocumentBuilder("pdf")
    terms = "\n".join(
        f"Clause {n}. The licensee shall pay a royalty of {n} percent of net sales each quarter."
        for n in range(8)
    )
    filler = "This page describes the parties' addresses, notices and the signatures of the officers. " * 20
    for page in [filler, terms, filler.replace("page", "exhibit"), terms, "Royalty reports are due yearly."]:
        builder.start_page()
        builder.paragraph(page)
    contract = source(counter, "contract.pdf", builder.build())
    plan = planner.plan(ask([contract], "What royalty on net sales must the licensee pay?", room=400))
    assert isinstance(plan, RetrievePlan)
    texts = [p.text(contract.document.text) for p in plan.passages]
    assert texts.count(terms) == 1
    assert "Royalty reports are due yearly." in texts  # the room of the copy went to the next best
