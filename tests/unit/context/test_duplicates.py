"""Near-duplicate passages: a repeat is skipped, so the room goes to passages that say something new."""

from __future__ import annotations

from longdoc.context.chunking import chunk_document
from longdoc.context.duplicates import NearDuplicates, folded_lines
from longdoc.context.lexical import LexicalIndex
from longdoc.context.query import WeightedQuery, search_weighted
from longdoc.context.retrieval import select_passages
from longdoc.context.tokens import TokenCounter
from longdoc.core.chunks import Passage
from longdoc.parsing.base import DocumentBuilder

STATEMENT = (
    "Consolidated Balance Sheets as of December 31, 2019 and 2018\n"
    "Cash and cash equivalents held by the company 3,836 2,998\n"
    "Accounts receivable, net of allowance for doubtful accounts 6,692 6,276\n"
    "Inventories, net of reserves for obsolete stock 6,392 5,817"
)
NOTE = (
    "Inventories are stated at the lower of cost and net realisable value, cost being determined\n"
    "on a first-in first-out basis; reserves for obsolete stock are reviewed every quarter."
)


def passage(text: str, number: int, *, file_id: str = "file-a") -> tuple[Passage, str]:
    return Passage(
        file_id=file_id, chunk=number, page=None, start=0, end=len(text), tokens=10, score=1.0
    ), text


def filter_of(*pairs: tuple[Passage, str], terms: frozenset[str] = frozenset()) -> NearDuplicates:
    texts = {(p.file_id, p.chunk): t for p, t in pairs}
    return NearDuplicates(lambda p: texts[p.file_id, p.chunk], terms)


def test_a_repeat_is_skipped_whatever_its_spacing_and_case() -> None:
    first = passage(STATEMENT, 0)
    again = passage(STATEMENT.upper().replace(" ", "  "), 1)
    other = passage(NOTE, 2)
    duplicates = filter_of(first, again, other)
    assert duplicates.admit(first[0])
    assert not duplicates.admit(again[0])
    assert duplicates.admit(other[0])


def test_a_passage_contained_in_a_chosen_one_is_a_repeat() -> None:
    whole = passage(f"{STATEMENT}\n{NOTE}", 0)
    part = passage(NOTE, 1)
    duplicates = filter_of(whole, part)
    assert duplicates.admit(whole[0]) and not duplicates.admit(part[0])
    # the other way round, the longer passage holds a whole statement besides: it says something new
    duplicates = filter_of(whole, part)
    assert duplicates.admit(part[0]) and duplicates.admit(whole[0])


def test_short_lines_shared_by_different_passages_do_not_make_them_repeats() -> None:
    # Column headings and page numbers recur on every page of a report.
    a = passage(f"2019 2018\n(In thousands)\n{STATEMENT}", 0)
    b = passage(f"2019 2018\n(In thousands)\n{NOTE}", 1)
    duplicates = filter_of(a, b)
    assert duplicates.admit(a[0]) and duplicates.admit(b[0])
    assert folded_lines("2019 2018\n12") == {}
    assert not folded_lines("")


def test_a_repeat_with_a_new_line_the_question_asks_about_is_kept() -> None:
    boilerplate = "\n".join(f"Paragraph {i} of the handbook says nothing of interest." for i in range(12))
    opening = passage(boilerplate, 0)
    needle = passage(f"The access code for vault 7F3K is 491-204.\n{boilerplate}", 1)
    restated = passage(f"{boilerplate}\nThe handbook was printed in Paris by a printer.", 2)
    terms = frozenset({"access", "cod", "vault", "7f3k"})  # the question's telling terms, stemmed
    duplicates = filter_of(opening, needle, restated, terms=terms)
    duplicates.add(opening[0])
    assert duplicates.admit(needle[0])  # its one new line answers the question
    assert not duplicates.admit(restated[0])  # its one new line does not bear on it


def test_openings_added_first_are_not_read_twice() -> None:
    opening = passage(STATEMENT, 0)
    copy = passage(STATEMENT, 7, file_id="file-b")  # the same page attached twice
    duplicates = filter_of(opening, copy)
    duplicates.add(opening[0])
    assert not duplicates.admit(copy[0])


def test_selection_gives_the_room_of_a_repeat_to_the_next_best_passage(counter: TokenCounter) -> None:
    # A report printing its balance sheet twice: one page each, so one chunk each.
    builder = DocumentBuilder("pdf")
    for page in [STATEMENT, "Management discussion of results for the year.", STATEMENT, NOTE, "Signatures."]:
        builder.start_page()
        builder.paragraph(page)
    doc = builder.build()
    chunks = chunk_document(doc, file_id="file-r", counter=counter)
    index = LexicalIndex.build(chunks, doc.text)
    ranked = search_weighted(
        [index], WeightedQuery((("cash equivalents, accounts receivable and inventories", 1.0),)), k=10
    )
    copies = [p for p in ranked if p.text(doc.text) == STATEMENT]
    assert [p.text(doc.text) for p in ranked[:2]] == [STATEMENT, STATEMENT]
    room = 2 * copies[0].tokens + 5
    plain = select_passages(ranked, room)
    assert all(p in plain for p in copies)  # without the filter, both copies fill the room
    kept = select_passages(ranked, room, duplicates=NearDuplicates(lambda p: p.text(doc.text)))
    assert sum(p in kept for p in copies) == 1
    assert any(NOTE in p.text(doc.text) for p in kept)
