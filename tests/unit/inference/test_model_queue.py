"""One request at a time on the model; a bounded, ordered line; 503 when full or too slow."""

from __future__ import annotations

import threading
import time

import pytest

from longdoc.core.errors import ModelUnavailable
from longdoc.inference.model_queue import ModelQueue


def hold(queue: ModelQueue, entered: threading.Event, release: threading.Event) -> threading.Thread:
    def run() -> None:
        with queue.turn() as got:
            assert got
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(5)
    return thread


def test_full_line_is_model_unavailable_with_retry_after() -> None:
    queue = ModelQueue(max_waiting=1, max_wait_seconds=5)
    release = threading.Event()
    holder = hold(queue, threading.Event(), release)
    waiter = threading.Thread(target=lambda: queue.turn().__enter__())
    waiter.start()
    deadline = time.monotonic() + 5
    while queue.waiting < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(ModelUnavailable, match="1 requests are already waiting") as caught, queue.turn():
        pass
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1
    assert caught.value.status == 503
    release.set()
    holder.join()
    waiter.join()


def test_waiting_too_long_is_model_unavailable() -> None:
    queue = ModelQueue(max_waiting=4, max_wait_seconds=0.2)
    release = threading.Event()
    holder = hold(queue, threading.Event(), release)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="stayed busy"), queue.turn():
        pass
    assert 0.15 < time.monotonic() - started < 2
    release.set()
    holder.join()


def test_turns_are_taken_in_arrival_order() -> None:
    queue = ModelQueue(max_waiting=8, max_wait_seconds=5)
    release = threading.Event()
    holder = hold(queue, threading.Event(), release)
    order: list[int] = []

    def wait_turn(i: int) -> None:
        with queue.turn():
            order.append(i)

    threads = []
    for i in range(4):
        thread = threading.Thread(target=wait_turn, args=(i,))
        thread.start()
        threads.append(thread)
        while queue.waiting < i + 1:
            time.sleep(0.005)
    release.set()
    for thread in [holder, *threads]:
        thread.join()
    assert order == [0, 1, 2, 3]


def test_cancel_while_waiting_leaves_the_line_without_the_model() -> None:
    queue = ModelQueue(max_waiting=2, max_wait_seconds=5)
    release = threading.Event()
    holder = hold(queue, threading.Event(), release)
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    with queue.turn(cancel) as got:
        assert got is False
    assert queue.waiting == 0
    release.set()
    holder.join()
    with queue.turn() as got:
        assert got
