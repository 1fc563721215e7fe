"""The embedded model's process killed mid-answer under a real ``longdoc serve``: the official SDKs'
calls in flight raise the service's error ("the embedded model process died …; it is restarting"),
the server stays up, /readyz says why the model is down, and the next call is answered by the
restarted model. Nothing is billed for the calls that failed."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus

import dashscope
import openai
import pytest

from support.models import require_embedded_model
from support.server import LongdocServer, openai_client, raw

LONG = [{"role": "user", "content": "Count from 1 to 300, one number per line."}]
SHORT = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongdocServer]:
    require_embedded_model()
    running = LongdocServer(tmp_path_factory.mktemp("crash") / "data").start()
    yield running
    running.stop()


def died(how: signal.Signals) -> str:
    return f"the embedded model process died (signal {how.value}, {how.name}); it is restarting"


def wait_ready(server: LongdocServer) -> None:
    deadline = time.monotonic() + 120
    while (ready := raw(server, "GET", "/readyz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ready.status_code == 200, ready.text


def answered_after_restart(client: openai.OpenAI, server: LongdocServer, killed: int) -> None:
    answer = client.chat.completions.create(model="qwen-long", messages=SHORT, temperature=0, max_tokens=8)  # type: ignore[arg-type]
    assert "Paris" in (answer.choices[0].message.content or "")
    assert server.model_pid() != killed


def billed_calls(server: LongdocServer) -> int:
    usage = raw(server, "GET", "/v1/usage", server.api_key).json()
    return sum(row["requests"] for row in usage["data"])


def test_openai_stream_killed_with_sigsegv(server: LongdocServer) -> None:
    wait_ready(server)
    client = openai_client(server)
    billed = billed_calls(server)
    pid = server.model_pid()
    stream = client.chat.completions.create(
        model="qwen-long",
        messages=LONG,
        temperature=0,
        max_tokens=400,
        stream=True,  # type: ignore[arg-type]
    )
    pieces = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
                if len(pieces) == 3:
                    os.kill(pid, signal.SIGSEGV)
    assert caught.value.message == died(signal.SIGSEGV)
    assert raw(server, "GET", "/healthz").status_code == 200
    assert billed_calls(server) == billed
    answered_after_restart(client, server, pid)
    assert billed_calls(server) == billed + 1


def test_openai_call_killed_with_sigkill(server: LongdocServer) -> None:
    wait_ready(server)
    client = openai_client(server)
    billed = billed_calls(server)
    pid = server.model_pid()
    threading.Timer(2.0, os.kill, (pid, signal.SIGKILL)).start()  # the 400-token answer takes > 10 s
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="qwen-long", messages=LONG, temperature=0, max_tokens=400)  # type: ignore[arg-type]
    assert caught.value.status_code == 503
    assert caught.value.body["message"] == died(signal.SIGKILL)  # type: ignore[index]
    readiness = raw(server, "GET", "/readyz")
    if readiness.status_code == 503:  # until the restarted model is up, /readyz says why
        assert "embedded" in readiness.json()["models"]
    assert billed_calls(server) == billed
    answered_after_restart(client, server, pid)


def test_dashscope_stream_killed_with_sigsegv(server: LongdocServer, monkeypatch: pytest.MonkeyPatch) -> None:
    wait_ready(server)
    monkeypatch.setattr(dashscope, "base_http_api_url", server.origin + "/api/v1")
    billed = billed_calls(server)
    pid = server.model_pid()
    responses = []
    for response in dashscope.Generation.call(
        api_key=server.api_key,
        model="qwen-long",
        messages=LONG,
        result_format="message",
        stream=True,
        incremental_output=True,
        max_tokens=400,
    ):
        responses.append(response)
        if len(responses) == 3:
            os.kill(pid, signal.SIGSEGV)
    assert all(r.status_code == HTTPStatus.OK for r in responses[:3])
    assert responses[-1].status_code != HTTPStatus.OK and responses[-1].code == "ModelUnavailable"
    assert responses[-1].message == died(signal.SIGSEGV)
    assert billed_calls(server) == billed
    answered_after_restart(openai_client(server), server, pid)
