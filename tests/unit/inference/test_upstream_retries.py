"""The upstream backend tries again what failed before the answer began, and nothing after."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from longdoc.core.errors import ModelUnavailable, RateLimited
from longdoc.inference.base import ChatMessage, GenerationParams, StreamEnd, TokenDelta
from longdoc.inference.upstream import MAX_RETRY_WAIT_SECONDS, OpenAIUpstreamBackend, retry_after

QUESTION = [ChatMessage(role="user", content="hi")]
Handler = Callable[[httpx.Request], httpx.Response]


class RecordingBackend(OpenAIUpstreamBackend):
    """Notes each wait before a retry instead of sleeping."""

    def __init__(self, handler: Handler, **kwargs: object) -> None:
        super().__init__("http://upstream/v1", "m", transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]
        self.waits: list[float] = []

    def _pause(self, seconds: float, cancel: threading.Event | None) -> bool:
        self.waits.append(seconds)
        return cancel is not None and cancel.is_set()


def answer(*pieces: str) -> httpx.Response:
    chunks: list[dict[str, Any]] = [{"choices": [{"delta": {"content": p}}]} for p in pieces]
    chunks.append({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": len(pieces)}})
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})


def scripted(*steps: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler that answers (or fails) with each step in turn; the requests it saw."""
    seen: list[httpx.Request] = []
    pending = list(steps)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = pending.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return handle, seen


def text_of(backend: OpenAIUpstreamBackend) -> str:
    return "".join(e.text for e in backend.stream(QUESTION, GenerationParams()) if isinstance(e, TokenDelta))


def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_busy_upstream_is_asked_again_with_backoff(status: int) -> None:
    handler, seen = scripted(httpx.Response(status), httpx.Response(status), answer("Paris"))
    backend = RecordingBackend(handler)
    assert text_of(backend) == "Paris"
    assert len(seen) == 3
    assert backend.waits == [0.5, 1.0]


def test_a_failed_connection_is_tried_again() -> None:
    handler, seen = scripted(httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), answer("ok"))
    backend = RecordingBackend(handler)
    assert text_of(backend) == "ok"
    assert len(seen) == 3


def test_retry_after_in_seconds_is_the_wait() -> None:
    handler, _ = scripted(httpx.Response(503, headers={"Retry-After": "2"}), answer("ok"))
    backend = RecordingBackend(handler)
    assert text_of(backend) == "ok"
    assert backend.waits == [2.0]


def test_retry_after_as_an_http_date_is_the_wait() -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": http_date(3)}), answer("ok"))
    backend = RecordingBackend(handler)
    assert text_of(backend) == "ok"
    assert len(backend.waits) == 1 and 1.0 < backend.waits[0] <= 3.0


def test_a_longer_retry_after_than_the_cap_is_passed_on_not_waited() -> None:
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": http_date(120)}), answer("never"))
    backend = RecordingBackend(handler)
    with pytest.raises(RateLimited) as caught:
        text_of(backend)
    assert len(seen) == 1 and backend.waits == []
    assert caught.value.retry_after is not None and caught.value.retry_after > MAX_RETRY_WAIT_SECONDS


def test_retries_are_bounded_and_the_last_error_is_reported() -> None:
    handler, seen = scripted(*[httpx.Response(503, json={"error": {"message": "warming up"}})] * 3)
    backend = RecordingBackend(handler, max_retries=2)
    with pytest.raises(ModelUnavailable, match="warming up"):
        text_of(backend)
    assert len(seen) == 3


def test_no_retries_when_set_to_zero() -> None:
    handler, seen = scripted(httpx.ConnectError("refused"))
    with pytest.raises(ModelUnavailable, match="unreachable"):
        text_of(RecordingBackend(handler, max_retries=0))
    assert len(seen) == 1


@pytest.mark.parametrize("status", [400, 401, 500])
def test_other_statuses_are_not_retried(status: int) -> None:
    handler, seen = scripted(httpx.Response(status, json={"error": {"message": "no"}}))
    with pytest.raises(Exception, match="no"):
        text_of(RecordingBackend(handler))
    assert len(seen) == 1


class CutOff(httpx.SyncByteStream):
    """An answer whose connection drops after its first token."""

    def __iter__(self) -> Iterator[bytes]:
        yield b'data: {"choices": [{"delta": {"content": "Par"}}]}\n\n'
        raise httpx.ReadError("connection reset")


def test_nothing_is_retried_once_the_answer_has_started() -> None:
    cut = httpx.Response(200, stream=CutOff(), headers={"content-type": "text/event-stream"})
    handler, seen = scripted(cut, answer("Paris"))
    backend = RecordingBackend(handler)
    events = backend.stream(QUESTION, GenerationParams())
    assert next(events) == TokenDelta("Par")
    with pytest.raises(ModelUnavailable):
        next(events)
    assert len(seen) == 1 and backend.waits == []


def test_a_caller_that_goes_away_while_waiting_ends_the_stream() -> None:
    handler, seen = scripted(httpx.Response(503), answer("never"))
    cancel = threading.Event()
    cancel.set()
    events = list(RecordingBackend(handler).stream(QUESTION, GenerationParams(), cancel))
    assert len(seen) == 1
    assert isinstance(events[-1], StreamEnd) and events[-1].finish_reason == "cancelled"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("", None), ("7", 7.0), ("-3", 0.0), ("inf", None), ("soon", None), (http_date(-60), 0.0)],
)
def test_retry_after_values(header: str | None, seconds: float | None) -> None:
    assert retry_after(header) == seconds
