"""A part's answer read until the model starts looping.

A small model under a JSON grammar sometimes repeats itself — one phrase inside a string, one
list item, blank space — until ``max_tokens``: minutes of decoding that add nothing. The answer
is read as it streams and stopped once its end is one piece repeated ``REPEATS`` times over at
least ``SPAN`` characters; what was read is then salvaged like any answer cut short.
"""

from __future__ import annotations

from collections.abc import Iterator

from longdoc.inference.base import Completion, StreamEnd, StreamEvent, TokenDelta, Usage

SPAN = 256  # characters the repeats must cover: three identical receipt lines are not a loop
REPEATS = 6
LONGEST_UNIT = SPAN // REPEATS
CHECK_EVERY = 16  # pieces between checks


def looping(text: str) -> bool:
    """Whether ``text`` ends with one piece repeated ``REPEATS`` times over ``SPAN`` characters."""
    end = len(text)
    if end < SPAN:
        return False
    for width in range(1, LONGEST_UNIT + 1):
        unit = text[end - width :]
        start = end - width
        while start >= width and text[start - width : start] == unit:
            start -= width
        if end - start >= SPAN and (end - start) // width >= REPEATS:
            return True
    return False


def until_looping(events: Iterator[StreamEvent]) -> Completion:
    """The stream joined into one completion; a looping answer stops early as cut short
    ("length"), and leaving the stream stops the model."""
    pieces: list[str] = []
    try:
        for event in events:
            if isinstance(event, StreamEnd):
                return Completion("".join(pieces), event.finish_reason, event.usage)
            if isinstance(event, TokenDelta):
                pieces.append(event.text)
                if len(pieces) % CHECK_EVERY == 0 and looping("".join(pieces[-SPAN:])):
                    return Completion("".join(pieces), "length", Usage(0, len(pieces)))
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    raise RuntimeError("backend stream ended without a StreamEnd event")
