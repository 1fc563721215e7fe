"""A backend in a supervised child process: the same answers, usage and cancellation as in process;
a death fails only the request it served and the child comes back; close leaves no process behind."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from longdoc.config import InferenceSettings
from longdoc.core.errors import LongdocError, ModelUnavailable, TooLarge
from longdoc.inference.base import ChatMessage, GenerationParams, StreamEnd, TokenDelta
from longdoc.inference.fake import FakeBackend
from longdoc.inference.model_child import error_from_wire, error_to_wire
from longdoc.inference.registry import BackendRegistry
from longdoc.inference.supervised import SupervisedBackend, start_failure
from support.processes import running

WORDS = " ".join(f"word{i}" for i in range(40))
MESSAGES = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content=WORDS)]
PLAIN = GenerationParams()


def supervised(**fake: object) -> SupervisedBackend:
    settings = InferenceSettings(backends={"embedded": {"kind": "fake", "isolated": True, **fake}})
    backend = BackendRegistry().create(settings.backends["embedded"], settings)
    assert isinstance(backend, SupervisedBackend)
    return backend


@pytest.fixture
def slow() -> Iterator[SupervisedBackend]:
    backend = supervised(seconds_per_token=0.05)
    yield backend
    backend.close()


def test_answers_usage_and_tokens_match_the_backend_in_process() -> None:
    backend = supervised()
    try:
        assert backend.readiness() == "not started"
        in_process = FakeBackend()
        answer = backend.complete(MESSAGES, GenerationParams(max_tokens=10))
        expected = in_process.complete(MESSAGES, GenerationParams(max_tokens=10))
        assert answer == expected and answer.finish_reason == "length"
        assert backend.count_tokens(MESSAGES) == in_process.count_tokens(MESSAGES)
        schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
        assert backend.complete(MESSAGES, GenerationParams(json_schema=schema)).text == '{"n": 0}'
        assert backend.readiness() is None and backend.name == "fake"
    finally:
        backend.close()


def test_cancel_and_a_closed_stream_free_the_model(slow: SupervisedBackend) -> None:
    cancel = threading.Event()
    events = []
    for event in slow.stream(MESSAGES, PLAIN, cancel):
        events.append(event)
        if len(events) == 3:
            cancel.set()
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "cancelled"
    assert 3 <= end.usage.completion_tokens <= 10  # of 40: the tokens already on their way, at most

    stream = slow.stream(MESSAGES, PLAIN)
    assert isinstance(next(stream), TokenDelta)
    stream.close()  # the caller went away: the child stops before the model is given back
    assert not slow.queue.busy
    started = time.monotonic()
    assert slow.complete(MESSAGES, GenerationParams(max_tokens=2)).text == "word0 word1 "
    assert time.monotonic() - started < 1.5  # not behind the rest of the abandoned answer


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSEGV, signal.SIGILL, signal.SIGABRT])
def test_a_death_mid_answer_fails_that_answer_and_the_child_restarts(
    slow: SupervisedBackend, how: signal.Signals
) -> None:
    slow.load()
    first = slow.pid
    assert first is not None
    stream = slow.stream(MESSAGES, PLAIN)
    assert isinstance(next(stream), TokenDelta)
    os.kill(first, how)
    with pytest.raises(ModelUnavailable) as caught:
        list(stream)
    message = f"the embedded model process died (signal {how.value}, {how.name}); it is restarting"
    assert caught.value.message == message and caught.value.status == 503
    assert caught.value.retry_after is not None
    assert slow.readiness() in (message, "starting")  # what /readyz shows until the new child is up

    assert slow.complete(MESSAGES, GenerationParams(max_tokens=3)).text == "word0 word1 word2 "
    assert slow.pid not in (None, first) and slow.readiness() is None
    assert not running(first)


def test_close_ends_the_child_and_later_calls_fail_cleanly() -> None:
    backend = supervised()
    backend.load()
    pid = backend.pid
    assert pid is not None and running(pid)
    backend.close()
    deadline = time.monotonic() + 5
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(pid)
    with pytest.raises(ModelUnavailable, match="shut down"):
        backend.count_tokens(MESSAGES)


def test_a_death_during_start_up_is_reported_and_retried() -> None:
    backend = supervised()
    try:
        failures: list[BaseException] = []

        def load() -> None:
            try:
                backend.load()
            except ModelUnavailable as exc:
                failures.append(exc)

        starting = threading.Thread(target=load)
        starting.start()
        deadline = time.monotonic() + 10
        while backend.pid is None and time.monotonic() < deadline:
            time.sleep(0.001)
        os.kill(backend.pid or 0, signal.SIGILL)  # still importing: long before its start-up check passes
        starting.join()
        assert len(failures) == 1  # the request that waited for this start is told at once
        reason = backend.readiness()
        assert reason is not None and "SIGILL" in reason and "during its start-up check" in reason
        assert "scripts/build-llama" in reason
        backend.load()  # the next attempt, after the backoff
        assert backend.readiness() is None
    finally:
        backend.close()


def test_start_failure_names_the_cpu_for_crashes_only() -> None:
    crash = start_failure("the embedded model process died (signal 4, SIGILL)", -4)
    assert "may not run on this CPU" in crash and "scripts/build-llama" in crash
    assert "CPU" not in start_failure("the embedded model process died (exit code 1)", 1)


def test_errors_cross_the_boundary_as_their_own_class() -> None:
    error = error_from_wire(error_to_wire(TooLarge("the prompt takes 9000 tokens", retry_after=None)))
    assert type(error) is TooLarge and error.message == "the prompt takes 9000 tokens"
    busy = error_from_wire(error_to_wire(ModelUnavailable("busy", retry_after=3.0)))
    assert type(busy) is ModelUnavailable and busy.retry_after == 3.0
    other = error_from_wire(error_to_wire(ValueError("bad")))
    assert type(other) is LongdocError and other.message == "the model failed: ValueError: bad"
    assert type(error_from_wire({"class": "Path", "message": "x"})) is LongdocError
