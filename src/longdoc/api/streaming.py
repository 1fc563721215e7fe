"""Running a blocking generator (a model's token stream) off the event loop.

One thread owns the generator for its whole life and hands events to the loop; the async side
reads them. When the client goes away the ``cancel`` event is set: the backend stops between
tokens, its thread finishes on its own, and nothing else has to wait for it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Generic, TypeVar

from starlette.requests import Request

from longdoc.chat.engine import AnswerEnd
from longdoc.inference.base import TokenDelta

T = TypeVar("T")
_DONE = object()


class ThreadedStream(Generic[T]):
    def __init__(self, produce: Iterator[T], cancel: threading.Event) -> None:
        self._produce = produce
        self.cancel = cancel
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._run, name="longdoc-generate", daemon=True).start()

    def _run(self) -> None:
        try:
            for item in self._produce:
                self._put(item)
            self._put(_DONE)
        except BaseException as exc:  # handed to the reader, which re-raises it
            self._put(exc)

    def _put(self, item: object) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is gone (shutdown): stop producing
            self.cancel.set()

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        item = await self._queue.get()
        if item is _DONE:
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[return-value]


async def cancel_on_disconnect(request: Request, cancel: threading.Event) -> None:
    """Set ``cancel`` when the client disconnects (for responses that are not streamed)."""
    while not cancel.is_set():
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancel.set()
            return


async def read_answer(request: Request, stream: ThreadedStream[Any], first: object) -> tuple[str, AnswerEnd]:
    """A whole (not streamed) answer: its text and its end; a disconnect cancels generation."""
    watcher = asyncio.create_task(cancel_on_disconnect(request, stream.cancel))
    try:
        pieces: list[str] = []
        event = first
        while not isinstance(event, AnswerEnd):
            assert isinstance(event, TokenDelta)
            pieces.append(event.text)
            event = await stream.__anext__()
    finally:
        watcher.cancel()
    return "".join(pieces), event
