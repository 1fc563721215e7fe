"""One request at a time on a model, a bounded line of others waiting their turn in order.

llama.cpp's context is not safe to share between threads, and on a CPU two generations at once
only slow each other. A request that finds the line full, or waits longer than allowed, gets
``ModelUnavailable`` with a ``retry_after`` estimated from recent turns.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from longdoc.core.errors import ModelUnavailable


class ModelQueue:
    def __init__(self, max_waiting: int, max_wait_seconds: float, *, poll_seconds: float = 0.05) -> None:
        self.max_waiting = max_waiting
        self.max_wait_seconds = max_wait_seconds
        self.poll_seconds = poll_seconds  # how often a waiter looks at its cancel event
        self._cond = threading.Condition()
        self._busy = False
        self._line: deque[object] = deque()
        self._typical_turn = 5.0  # seconds; a moving average of recent turns

    @property
    def busy(self) -> bool:
        """A request holds the model now."""
        with self._cond:
            return self._busy

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._line)

    def retry_after(self) -> float:
        with self._cond:
            return self._retry_after_locked()

    @contextmanager
    def turn(self, cancel: threading.Event | None = None) -> Iterator[bool]:
        """Hold the model inside the block; yields False (without the model) if cancelled while waiting."""
        if not self._acquire(cancel):
            yield False
            return
        started = time.monotonic()
        try:
            yield True
        finally:
            with self._cond:
                self._busy = False
                self._typical_turn = 0.7 * self._typical_turn + 0.3 * (time.monotonic() - started)
                self._cond.notify_all()

    def _acquire(self, cancel: threading.Event | None) -> bool:
        with self._cond:
            if not self._busy and not self._line:
                self._busy = True
                return True
            if len(self._line) >= self.max_waiting:
                raise ModelUnavailable(
                    f"the model is busy and {len(self._line)} requests are already waiting; try again later",
                    retry_after=self._retry_after_locked(),
                )
            ticket = object()
            self._line.append(ticket)
            deadline = time.monotonic() + self.max_wait_seconds
            try:
                while self._busy or self._line[0] is not ticket:
                    if cancel is not None and cancel.is_set():
                        return False
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise ModelUnavailable(
                            f"the model stayed busy for {self.max_wait_seconds:g} s; try again later",
                            retry_after=self._retry_after_locked(),
                        )
                    self._cond.wait(min(remaining, self.poll_seconds))
                self._busy = True
                return True
            finally:
                self._line.remove(ticket)
                self._cond.notify_all()

    def _retry_after_locked(self) -> float:
        return float(max(1, math.ceil(self._typical_turn * (len(self._line) + 1))))
