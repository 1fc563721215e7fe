"""Conversation-aware queries: when earlier turns join the search, and how much they weigh."""

from __future__ import annotations

from pathlib import Path

import pytest

from longdoc.config import ContextSettings
from longdoc.context.indexing import build_index
from longdoc.context.lexical import LexicalIndex
from longdoc.context.query import Turn, WeightedQuery, conversation_query, leans_on_context, search_weighted
from longdoc.context.tokens import TokenCounter
from longdoc.parsing import parse_path

DOCUMENTS = Path(__file__).resolve().parents[2] / "data" / "documents"


@pytest.fixture(scope="module")
def guide(counter: TokenCounter) -> LexicalIndex:
    path = DOCUMENTS / "spqr_user_guide.pdf"
    return build_index(
        parse_path(path, filename=path.name), file_id="spqr", counter=counter, settings=ContextSettings()
    )


@pytest.mark.parametrize(
    ("question", "leans"),
    [
        ("And its price?", True),
        ("What about the Z5?", True),
        ("Why?", True),
        ("它的价格是多少？", True),
        ("How many months of warranty does the X1 cordless drill have in Europe?", False),
        ("Which BLAS library does SuiteSparseQR use for dense frontal matrices?", False),
    ],
)
def test_which_questions_lean_on_the_conversation(question: str, leans: bool) -> None:
    assert leans_on_context(question) is leans


def test_a_self_contained_question_is_searched_alone() -> None:
    turns = [
        Turn("user", "What is the warranty of the Z5 saw?"),
        Turn("assistant", "36 months."),
        Turn("user", "Which BLAS library does SuiteSparseQR use for dense frontal matrices?"),
    ]
    assert conversation_query(turns).parts == ((turns[-1].content, 1.0),)


def test_a_follow_up_brings_the_previous_question_and_answer_weighted_lower() -> None:
    turns = [
        Turn("user", "What is the warranty of the Z5 saw?"),
        Turn("assistant", "The Z5 saw has 36 months."),
        Turn("user", "And its price?"),
    ]
    query = conversation_query(turns)
    weights = [w for _, w in query.parts]
    assert [t for t, _ in query.parts] == ["And its price?", turns[0].content, turns[1].content]
    assert weights[0] == 1.0 and weights[0] > weights[1] > weights[2] > 0
    terms = query.term_weights()
    assert terms["pric"] == 1.0  # stemmed, from the question itself
    assert terms["z5"] == weights[1]  # the previous question outweighs the answer
    assert terms["36"] == weights[2]


def test_one_weight_for_every_term_ranks_and_scores_as_weight_one(guide: LexicalIndex) -> None:
    # scores are over the query's ideal score, so scaling every idf alike changes nothing
    question = "How does SPQR order the columns to reduce fill-in?"
    one = search_weighted([guide], WeightedQuery(((question, 1.0),)), k=10)
    half = search_weighted([guide], WeightedQuery(((question, 0.5),)), k=10)
    assert one and [(p.chunk, round(p.score, 5)) for p in half] == [(p.chunk, round(p.score, 5)) for p in one]
    assert all(0 < p.score <= 1 for p in one)


def test_lower_weights_move_context_terms_down_the_ranking(guide: LexicalIndex) -> None:
    heavy = search_weighted([guide], WeightedQuery((("column ordering", 1.0), ("GPU", 1.0))), k=5)
    light = search_weighted([guide], WeightedQuery((("column ordering", 1.0), ("GPU", 0.1))), k=5)
    gpu = {p.chunk for p in search_weighted([guide], WeightedQuery((("GPU", 1.0),)), k=5)}
    assert sum(p.chunk in gpu for p in light) < sum(p.chunk in gpu for p in heavy)


def test_the_form_of_a_question_adds_the_words_its_answer_is_written_in() -> None:
    query = conversation_query([Turn("user", "How long is the term of this agreement?")])
    assert query.parts[0] == ("How long is the term of this agreement?", 1.0)
    shape, weight = query.parts[1]
    assert {"years", "months"} <= set(shape.split()) and weight < 1.0
    assert len(conversation_query([Turn("user", "合同期限多久？")]).parts) == 2
    assert len(conversation_query([Turn("user", "Who signed the agreement?")]).parts) == 1
