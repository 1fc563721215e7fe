"""Any OpenAI-compatible server as a backend: vLLM, SGLang, Ollama, llama.cpp's server, a hosted API.

Requests always stream (``stream_options.include_usage`` asks for the usage chunk); closing the
response on cancel drops the connection, which makes vLLM and llama.cpp abort the generation.
Upstream failures map onto the error tree: unreachable, 5xx or timed out → ``ModelUnavailable``;
429 → ``RateLimited`` (with the upstream's Retry-After); 400 → ``InvalidRequest``; anything else
(a wrong upstream key, an unknown upstream model) is the operator's to fix → ``LongdocError``.
Before the answer starts, a failed connection or a 429/502/503/504 is tried again, up to
``max_retries`` times, after the upstream's Retry-After or an exponential backoff; an upstream
asking for a longer wait than ``MAX_RETRY_WAIT_SECONDS`` gets none, and its wait is passed on.
Once a token has been yielded nothing is retried: the caller already has part of the answer.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from longdoc.core.errors import InvalidRequest, LongdocError, ModelUnavailable, RateLimited
from longdoc.inference.base import (
    ChatMessage,
    FinishReason,
    GenerationParams,
    InferenceBackend,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    Usage,
)
from longdoc.inference.sse import sse_data

RETRY_STATUSES = frozenset({429, 502, 503, 504})  # the upstream is busy or restarting: nothing ran
MAX_RETRY_WAIT_SECONDS = 5.0
BACKOFF_SECONDS = 0.5  # the first wait without a Retry-After; doubled each time


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (≈ 4 UTF-8 bytes a token), used when no counter is given."""
    return max(1, len(text.encode("utf-8")) // 4)


class OpenAIUpstreamBackend(InferenceBackend):
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        supports_json_schema: bool = False,
        schema_format: str = "json_schema",
        context_window: int = 32_768,
        timeout_seconds: float = 600.0,
        connect_timeout_seconds: float = 10.0,
        max_retries: int = 2,
        token_counter: Callable[[str], int] = estimate_tokens,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.supports_json_schema = supports_json_schema
        self.schema_format = schema_format
        self.context_window = context_window
        self.token_counter = token_counter
        self.max_retries = max_retries
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        timeout = httpx.Timeout(timeout_seconds, connect=connect_timeout_seconds)
        self._client = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._client.close()

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        # ChatML spends about four tokens a message on role markers
        return sum(self.token_counter(m.content) + 4 for m in messages) + 3

    def request_body(self, messages: Sequence[ChatMessage], params: GenerationParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        plain = {
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "seed": params.seed,
            # not OpenAI's, but vLLM, SGLang, llama.cpp and DashScope read them; sent only when set
            "top_k": params.top_k,
            "repetition_penalty": params.repetition_penalty,
        }
        body.update({key: value for key, value in plain.items() if value is not None})
        if params.stop:
            body["stop"] = list(params.stop)
        if params.json_schema is not None and self.schema_format == "json_object_schema":
            body["response_format"] = {"type": "json_object", "schema": params.json_schema}
        elif params.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": params.json_schema, "strict": True},
            }
        elif params.json_object:
            body["response_format"] = {"type": "json_object"}
        return body

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        pieces: list[str] = []
        finish: FinishReason = "stop"
        usage: Usage | None = None
        try:
            response = self._open(self.request_body(messages, params), cancel)
            if response is None:  # the caller went away while a retry waited
                yield StreamEnd("cancelled", Usage(self.count_tokens(messages), 0))
                return
            try:
                for data in sse_data(response.iter_lines()):
                    if cancel is not None and cancel.is_set():
                        finish = "cancelled"
                        break
                    chunk = json.loads(data)
                    if "error" in chunk:
                        raise LongdocError(f"upstream error mid-stream: {_error_message(chunk)}")
                    if chunk.get("usage"):
                        usage = Usage(chunk["usage"]["prompt_tokens"], chunk["usage"]["completion_tokens"])
                    for choice in chunk.get("choices") or []:
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            pieces.append(text)
                            yield TokenDelta(text)
                        if choice.get("finish_reason") == "length":
                            finish = "length"
            finally:
                response.close()  # on cancel too: hanging up makes the upstream stop
        except httpx.TimeoutException as exc:
            raise ModelUnavailable(f"the upstream model at {self.base_url} timed out ({exc})") from exc
        except httpx.TransportError as exc:
            raise ModelUnavailable(
                f"the upstream model at {self.base_url} is unreachable ({exc})", retry_after=5.0
            ) from exc
        if usage is None:  # the upstream ignored include_usage, or we hung up first
            usage = Usage(self.count_tokens(messages), self.token_counter("".join(pieces)) if pieces else 0)
        yield StreamEnd(finish, usage)

    def _open(self, body: dict[str, Any], cancel: threading.Event | None) -> httpx.Response | None:
        """The upstream's streaming response once it accepts the request; None when ``cancel`` is
        set while waiting to try again."""
        request = self._client.build_request("POST", f"{self.base_url}/chat/completions", json=body)
        attempt = 0
        while True:
            last = attempt >= self.max_retries
            try:
                response = self._client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout):  # the request never reached the upstream
                if last:
                    raise
                wait = BACKOFF_SECONDS * 2**attempt
            else:
                if response.status_code < 400:
                    return response
                response.read()
                response.close()
                asked = retry_after(response.headers.get("retry-after"))
                if (
                    last
                    or response.status_code not in RETRY_STATUSES
                    or (asked or 0) > MAX_RETRY_WAIT_SECONDS
                ):
                    raise upstream_error(response)
                wait = asked if asked is not None else BACKOFF_SECONDS * 2**attempt
            if self._pause(min(wait, MAX_RETRY_WAIT_SECONDS), cancel):
                return None
            attempt += 1

    def _pause(self, seconds: float, cancel: threading.Event | None) -> bool:
        """Wait before trying again; True when the caller went away meanwhile."""
        if cancel is None:
            time.sleep(seconds)
            return False
        return cancel.wait(seconds)


def upstream_error(response: httpx.Response) -> LongdocError:
    """The error-tree exception for an upstream HTTP error response."""
    status = response.status_code
    try:
        message = _error_message(response.json())
    except ValueError:
        message = response.text[:500] or response.reason_phrase
    wait = retry_after(response.headers.get("retry-after"))
    if status == 429:
        return RateLimited(f"the upstream model is rate limited: {message}", retry_after=wait or 1.0)
    if status >= 500:
        return ModelUnavailable(f"the upstream model failed ({status}): {message}", retry_after=wait)
    if status in (400, 413, 422):
        return InvalidRequest(f"the upstream model rejected the request: {message}")
    return LongdocError(f"the upstream model answered {status}: {message}")


def _error_message(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return str(error.get("message") or error)
        return str(error)
    return str(body)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds, or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a -0000 zone parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def openai_from_settings(spec: Any, settings: Any) -> OpenAIUpstreamBackend:
    return OpenAIUpstreamBackend(
        spec.base_url,
        spec.model,
        api_key=spec.api_key.get_secret_value() if spec.api_key else None,
        supports_json_schema=spec.supports_json_schema,
        schema_format=spec.schema_format,
        context_window=spec.context_window,
        timeout_seconds=spec.timeout_seconds,
        connect_timeout_seconds=spec.connect_timeout_seconds,
        max_retries=spec.max_retries,
    )
