"""A model process that dies mid-answer fails only the requests it served: each gets a clear error in
its caller's protocol, nothing is billed for them, the service keeps serving, and the next request
is answered by the restarted model. A batch line whose model died is answered again, billed once.

The model is the fake, run in a supervised child process exactly as the embedded model is, slow
enough (50 ms a token) to be killed mid-answer."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.inference.supervised import SupervisedBackend
from longdoc.services import Services, build_services
from support.callers import Caller
from support.jobs import drain_jobs

WORDS = " ".join(f"word{i}" for i in range(60))  # the fake echoes it: 60 tokens, 3 s
MESSAGES = [{"role": "user", "content": WORDS}]
KILLS = [signal.SIGKILL, signal.SIGSEGV]


@pytest.fixture
def crash_services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    backend = {"kind": "fake", "isolated": True, "seconds_per_token": 0.05}
    built = build_services(
        Settings(
            data_dir=tmp_path / "data",
            storage={"database_url": database_url},
            inference={"backends": {"embedded": backend}},
        )
    )
    yield built
    built.close()


@pytest.fixture
def alice(crash_services: Services) -> Iterator[Caller]:
    with TestClient(create_app(crash_services)) as client:
        yield Caller(client, crash_services.keys.create_key("alice"))


def model(services: Services) -> SupervisedBackend:
    backend = services.backends["embedded"]
    assert isinstance(backend, SupervisedBackend)
    return backend


class Killer(threading.Thread):
    """Kills the model process once it is answering (the model's turn is taken), a few tokens in."""

    def __init__(self, services: Services, how: signal.Signals) -> None:
        super().__init__()
        self.services, self.how = services, how
        self.mid_answer = False
        self.start()

    def run(self) -> None:
        backend = model(self.services)
        deadline = time.monotonic() + 30
        while not backend.queue.busy and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        self.mid_answer = backend.queue.busy
        os.kill(backend.pid or 0, self.how)

    def done(self) -> bool:
        self.join()
        return self.mid_answer


def died(how: signal.Signals) -> str:
    return f"the embedded model process died (signal {how.value}, {how.name}); it is restarting"


def assert_answered_after_restart(alice: Caller, services: Services) -> None:
    response = alice.client.post(
        "/v1/chat/completions", headers=alice.headers, json={"model": "qwen-long", "messages": MESSAGES}
    )
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == WORDS
    assert model(services).readiness() is None
    assert services.ledger.records()[-1].output_tokens == 60  # the answer after the restart is billed


def warm(services: Services) -> int:
    model(services).load()
    pid = model(services).pid
    assert pid is not None
    return pid


@pytest.mark.parametrize("how", KILLS, ids=lambda s: s.name)
def test_openai_call_in_flight_gets_503_and_the_next_is_answered(
    alice: Caller, crash_services: Services, how: signal.Signals
) -> None:
    first_pid = warm(crash_services)
    killer = Killer(crash_services, how)
    response = alice.client.post(
        "/v1/chat/completions", headers=alice.headers, json={"model": "qwen-long", "messages": MESSAGES}
    )
    assert killer.done()
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["message"] == died(how)
    assert (error["type"], error["code"]) == ("server_error", "model_unavailable")
    assert int(response.headers["retry-after"]) >= 1
    assert crash_services.ledger.records() == []  # nothing billed for the failed call
    assert alice.client.get("/v1/files", headers=alice.headers).status_code == 200  # the rest serves on

    assert_answered_after_restart(alice, crash_services)
    assert model(crash_services).pid != first_pid


@pytest.mark.parametrize("how", KILLS, ids=lambda s: s.name)
def test_openai_stream_in_flight_ends_with_an_error_event(
    alice: Caller, crash_services: Services, how: signal.Signals
) -> None:
    warm(crash_services)
    body = {"model": "qwen-long", "messages": MESSAGES, "stream": True}
    with alice.client.stream("POST", "/v1/chat/completions", headers=alice.headers, json=body) as response:
        assert response.status_code == 200
        events = []
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(line.removeprefix("data: "))
                if len(events) == 3:
                    os.kill(model(crash_services).pid or 0, how)
    chunks = [json.loads(e) for e in events if e != "[DONE]"]
    assert any(c.get("choices") and c["choices"][0]["delta"].get("content") for c in chunks)
    assert chunks[-1]["error"]["message"] == died(how)
    assert crash_services.ledger.records() == []
    assert_answered_after_restart(alice, crash_services)


@pytest.mark.parametrize("how", KILLS, ids=lambda s: s.name)
def test_dashscope_call_in_flight_gets_model_unavailable(
    alice: Caller, crash_services: Services, how: signal.Signals
) -> None:
    warm(crash_services)
    killer = Killer(crash_services, how)
    response = alice.client.post(
        "/api/v1/services/aigc/text-generation/generation",
        headers=alice.headers,
        json={"model": "qwen-long", "input": {"messages": MESSAGES}},
    )
    assert killer.done()
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "ModelUnavailable"
    assert response.json()["message"] == died(how)
    assert response.json()["request_id"]
    assert crash_services.ledger.records() == []
    assert_answered_after_restart(alice, crash_services)


def test_dashscope_stream_in_flight_ends_with_an_error_event(alice: Caller, crash_services: Services) -> None:
    warm(crash_services)
    headers = {**alice.headers, "X-DashScope-SSE": "enable"}
    body: dict[str, Any] = {
        "model": "qwen-long",
        "input": {"messages": MESSAGES},
        "parameters": {"incremental_output": True},
    }
    url = "/api/v1/services/aigc/text-generation/generation"
    with alice.client.stream("POST", url, headers=headers, json=body) as response:
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if sum(x.startswith("data:") for x in lines) == 2 and line.startswith("data:"):
                os.kill(model(crash_services).pid or 0, signal.SIGSEGV)
    after_error = lines[lines.index("event:error") :]
    assert ":HTTP_STATUS/503" in after_error
    error = json.loads(next(x for x in after_error if x.startswith("data:")).removeprefix("data:"))
    assert error["code"] == "ModelUnavailable" and error["message"] == died(signal.SIGSEGV)
    assert crash_services.ledger.records() == []
    assert_answered_after_restart(alice, crash_services)


def test_a_batch_line_whose_model_died_is_answered_again_and_billed_once(
    alice: Caller, crash_services: Services
) -> None:
    warm(crash_services)
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "qwen-long", "messages": MESSAGES},
        }
        for i in range(2)
    ]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    file_id = alice.upload("requests.jsonl", data, purpose="batch")["id"]
    batch_id = alice.client.post(
        "/v1/batches",
        headers=alice.headers,
        json={"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()["id"]
    drain_jobs(crash_services, limit=1)  # validation
    killer = Killer(crash_services, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        drain_jobs(crash_services)
        batch = alice.client.get(f"/v1/batches/{batch_id}", headers=alice.headers).json()
        if batch["status"] == "completed":
            break
        time.sleep(0.2)
    assert killer.done()
    assert batch["status"] == "completed", batch
    assert batch["request_counts"] == {"total": 2, "completed": 2, "failed": 0}
    billed = crash_services.ledger.records(batch_id=batch_id)
    assert len(billed) == 2 and all(r.output_tokens == 60 for r in billed)


def test_readyz_says_why_the_model_is_down_and_recovers(alice: Caller, crash_services: Services) -> None:
    warm(crash_services)
    assert alice.client.get("/readyz").json() == {"ready": True, "checks": {"store": True, "models": True}}
    os.kill(model(crash_services).pid or 0, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while (ready := alice.client.get("/readyz")).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ready.status_code == 503
    assert ready.json()["models"] == {"embedded": died(signal.SIGKILL)}
    deadline = time.monotonic() + 30
    while (ready := alice.client.get("/readyz")).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ready.status_code == 200
