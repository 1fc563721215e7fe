"""Reading documents part by part: how they are cut into parts, and how the parts are read.

Both map-reduce (notes for a question) and extraction (JSON under a schema) read every part of
the documents, or the parts they chose, with one model call each. A part is a run of consecutive
chunks of one document up to a token size; parts are read one after another on a backend that
serves one request at a time (the embedded model), in parallel on one that serves several.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol, TypeVar

from longdoc.context.lexical import LexicalIndex

JOIN_TOKENS = 2  # the blank line between the chunks of a part
R = TypeVar("R")


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


@dataclass(frozen=True)
class Part:
    """Consecutive chunks of one document, read in one call; ``number`` is its citation."""

    number: int  # 1-based across the whole request
    source: int  # position of its document in the request
    file_id: str  # the document's key
    first_chunk: int
    last_chunk: int  # inclusive
    start: int  # the span of the document's text it covers
    end: int
    first_page: int | None
    last_page: int | None
    tokens: int

    @property
    def chunks(self) -> range:
        return range(self.first_chunk, self.last_chunk + 1)

    def text(self, body: str, index: LexicalIndex) -> str:
        """Its chunks' text, joined by blank lines."""
        return "\n\n".join(index.chunk(i).text(body) for i in self.chunks)


def split_parts(
    sources: Sequence[Keyed],
    indexes: Sequence[LexicalIndex],
    part_tokens: int,
    chosen: Sequence[Sequence[int]] | None = None,
) -> list[Part]:
    """Each document's chunks (``chosen`` ones, in order; default all) cut into runs of
    consecutive chunks of at most ``part_tokens`` (a bigger chunk alone)."""
    parts: list[Part] = []
    for position, (source, index) in enumerate(zip(sources, indexes, strict=True)):
        sizes = index.chunk_tokens.tolist()
        run: list[int] = []
        total = 0
        for chunk in range(index.chunk_count) if chosen is None else chosen[position]:
            size = sizes[chunk] + JOIN_TOKENS
            if run and (chunk != run[-1] + 1 or total + size > part_tokens):
                parts.append(_part(len(parts) + 1, position, source.key, run, total, index))
                run, total = [], 0
            run.append(chunk)
            total += size
        if run:
            parts.append(_part(len(parts) + 1, position, source.key, run, total, index))
    return parts


def _part(number: int, source: int, key: str, run: list[int], tokens: int, index: LexicalIndex) -> Part:
    head, tail = index.chunk(run[0]), index.chunk(run[-1])
    return Part(number, source, key, run[0], run[-1], head.start, tail.end, head.page, tail.page, tokens)


def read_parts(
    parts: Sequence[Part],
    read: Callable[[Part, threading.Event | None], R],
    lanes: int,
    cancel: threading.Event | None = None,
) -> Iterator[tuple[Part, R]]:
    """``read`` each part — one after another, or ``lanes`` at a time — yielding each part with
    its result as it finishes. Stops starting parts once ``cancel`` is set; an exception from a
    part ends the reading (parts not started are not read)."""
    if lanes <= 1:
        for part in parts:
            if cancel is not None and cancel.is_set():
                return
            yield part, read(part, cancel)
        return
    with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="longdoc-part") as pool:
        pending: dict[Future[R], Part] = {pool.submit(read, p, cancel): p for p in parts}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield pending.pop(future), future.result()
        finally:
            for future in pending:
                future.cancel()
