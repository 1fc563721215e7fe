"""Asking the model for a part's answer: again while it is busy, stopped once it loops.

A model busy or restarting is asked again ``retries`` times, waiting as it says or 1 s, 2 s, 4 s…

A small model under a JSON grammar sometimes repeats one phrase inside a string, or blank
space, until ``max_tokens``: minutes of decoding that add nothing, since nothing in the grammar
ends a string. The answer is read as it streams and stopped once its end is one piece without a
quote repeated ``REPEATS`` times over at least ``SPAN`` characters; what was read is then salvaged
like any answer cut short. A repeated list element (a piece with quotes) is left to run: the part
schema bounds lists inside objects, and the fields after the list are often right.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence

from longdoc.core.errors import ModelUnavailable, RateLimited
from longdoc.inference.base import (
    ChatMessage,
    Completion,
    GenerationParams,
    InferenceBackend,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    Usage,
)

log = logging.getLogger(__name__)

SPAN = 256  # characters the repeats must cover: three identical receipt lines are not a loop
REPEATS = 6
LONGEST_UNIT = SPAN // REPEATS
CHECK_EVERY = 16  # pieces between checks


def ask(
    backend: InferenceBackend,
    messages: Sequence[ChatMessage],
    params: GenerationParams,
    cancel: threading.Event | None,
    where: str,
    retries: int,
) -> Completion:
    """The model's answer (``until_looping``), asked again while the model is busy or restarting;
    past ``retries`` the error names ``where`` the extraction stopped."""
    attempt = 0
    while True:
        try:
            return until_looping(backend.stream(messages, params, cancel))
        except (ModelUnavailable, RateLimited) as exc:
            if attempt >= retries or (cancel is not None and cancel.is_set()):
                raise type(exc)(
                    f"the extraction stopped at {where}: {exc.message}", retry_after=exc.retry_after
                ) from exc
            pause = exc.retry_after if exc.retry_after is not None else float(2**attempt)
            log.info("extraction %s: %s; asking again in %.1f s", where, exc.message, pause)
            (cancel or threading.Event()).wait(pause)  # a cancelled request stops waiting at once
            attempt += 1


def looping(text: str) -> bool:
    """Whether ``text`` ends with one piece without a quote (in a string, or blank space)
    repeated ``REPEATS`` times over ``SPAN`` characters."""
    end = len(text)
    if end < SPAN:
        return False
    for width in range(1, LONGEST_UNIT + 1):
        unit = text[end - width :]
        if '"' in unit:
            break  # wider pieces hold it too
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
