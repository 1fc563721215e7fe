"""Parts: runs of consecutive chosen chunks up to a size, read one by one or several at a time."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from longdoc.config import ContextSettings
from longdoc.context.indexing import build_index
from longdoc.context.lexical import LexicalIndex
from longdoc.context.parts import Part, read_parts, split_parts
from longdoc.context.tokens import TokenCounter
from longdoc.core.documents import Document

TEXT = "\n\n".join(
    f"Paragraph {n} says something about topic number {n} in a few more words." for n in range(40)
)


@dataclass(frozen=True)
class Source:
    key: str


@pytest.fixture(scope="module")
def index(counter: TokenCounter) -> LexicalIndex:
    settings = ContextSettings(chunk_target_tokens=40, chunk_max_tokens=60, chunk_min_tokens=10)
    return build_index(Document(format="txt", text=TEXT), file_id="doc-1", counter=counter, settings=settings)


def test_every_chunk_once_in_runs_of_at_most_the_size(index: LexicalIndex) -> None:
    parts = split_parts([Source("doc-1")], [index], part_tokens=100)
    assert [c for p in parts for c in p.chunks] == list(range(index.chunk_count))
    assert all(p.tokens <= 100 or p.first_chunk == p.last_chunk for p in parts)
    assert [p.number for p in parts] == list(range(1, len(parts) + 1))
    assert parts[0].start == 0 and parts[-1].end == index.chunk(index.chunk_count - 1).end


def test_chosen_chunks_that_are_not_neighbours_are_separate_parts(index: LexicalIndex) -> None:
    parts = split_parts([Source("doc-1")], [index], part_tokens=10_000, chosen=[[0, 1, 5, 6, 7]])
    assert [list(p.chunks) for p in parts] == [[0, 1], [5, 6, 7]]
    assert parts[1].text(TEXT, index) == TEXT[parts[1].start : parts[1].end]


@pytest.mark.parametrize("lanes", [1, 3])
def test_every_part_is_read_and_an_error_ends_the_reading(index: LexicalIndex, lanes: int) -> None:
    parts = split_parts([Source("doc-1")], [index], part_tokens=60)
    read = dict(read_parts(parts, lambda part, cancel: part.number * 10, lanes))
    assert sorted(p.number for p in read) == [p.number for p in parts]
    assert all(result == part.number * 10 for part, result in read.items())

    def failing(part: Part, cancel: threading.Event | None) -> int:
        if part.number == 2:
            raise RuntimeError("the model died")
        return part.number

    with pytest.raises(RuntimeError, match="the model died"):
        list(read_parts(parts, failing, lanes))


def test_a_cancelled_reading_starts_no_more_parts(index: LexicalIndex) -> None:
    parts = split_parts([Source("doc-1")], [index], part_tokens=60)
    cancel = threading.Event()

    def read(part: Part, cancel: threading.Event | None) -> int:
        assert cancel is not None
        cancel.set()
        return part.number

    assert [p.number for p, _ in read_parts(parts, read, 1, cancel)] == [1]
