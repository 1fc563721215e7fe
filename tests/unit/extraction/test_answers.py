"""A part's answer stops being read once it loops inside a string or on blank space; repeats a
document really has, and a list the model repeats an element of, are no loop."""

from __future__ import annotations

from collections.abc import Iterator

from longdoc.extraction.answers import looping, until_looping
from longdoc.inference.base import StreamEnd, StreamEvent, TokenDelta, Usage


def test_one_piece_repeated_over_the_span_is_a_loop() -> None:
    assert looping('{"summary": "' + "a quiet fan, " * 30)
    assert looping('{"name": "Tower Fan"' + " " * 300)


def test_text_that_moves_on_or_repeats_a_few_times_is_not_a_loop() -> None:
    lines = ", ".join(f'{{"line": {n}, "item": "Tea", "price": 2}}' for n in range(20))
    assert not looping(lines)
    receipt = '{"item": "Coca Cola 330 ml can, chilled", "quantity": 1, "price": 2.5}, ' * 3
    assert not looping('{"lines": [' + receipt)
    assert not looping("a quiet fan, " * 5)  # short of the span
    # the part schema bounds a list inside an object, and the fields after it may be right
    assert not looping('{"parties": ["Ediets", ' + '"EdietsCom", ' * 40)


class Stream:
    """A model's stream that counts the pieces read and knows whether it was closed."""

    def __init__(self, pieces: list[str]) -> None:
        self.pieces, self.read, self.closed = pieces, 0, False

    def __iter__(self) -> Iterator[StreamEvent]:
        try:
            for piece in self.pieces:
                self.read += 1
                yield TokenDelta(piece)
            yield StreamEnd("stop", Usage(10, len(self.pieces)))
        finally:
            self.closed = True


def test_a_looping_answer_stops_early_as_cut_short_and_stops_the_model() -> None:
    stream = Stream(['{"name": "Tower Fan", "summary": "'] + ["a ", "quiet ", "fan, "] * 400)
    events = iter(stream)
    answer = until_looping(events)
    assert answer.finish_reason == "length"
    assert answer.text.startswith('{"name": "Tower Fan"')
    assert stream.read < 150 and stream.closed
    assert answer.usage.completion_tokens == stream.read


def test_an_answer_that_ends_is_read_whole() -> None:
    stream = Stream(['{"name": ', '"Tower Fan"', "}"])
    answer = until_looping(iter(stream))
    assert (answer.text, answer.finish_reason, answer.usage) == (
        '{"name": "Tower Fan"}',
        "stop",
        Usage(10, 3),
    )

