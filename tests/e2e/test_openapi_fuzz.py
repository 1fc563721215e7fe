"""Every operation the served /openapi.json describes, fuzzed by schemathesis with valid and invalid
requests through the real ASGI app (fake model, authenticated): none may answer 5xx.

Bounded twice: ``EXAMPLES`` requests of each kind per operation, and ``TIME_BUDGET_SECONDS`` in all
(examples due after it are not sent, so a slow machine tests less rather than timing out)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from longdoc.api.app import create_app
from longdoc.config import Settings
from longdoc.services import Services, build_services

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (the dev extra has it)"
)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402  (installed with schemathesis)
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402

EXAMPLES = 25
TIME_BUDGET_SECONDS = 60.0


@pytest.fixture(scope="module")
def fuzz_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("fuzz")
    built = build_services(
        Settings(
            data_dir=folder / "data",
            storage={"database_url": f"sqlite:///{folder / 'longdoc.db'}"},
            inference={"backends": {"embedded": {"kind": "fake"}}},
        )
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def auth(fuzz_services: Services) -> dict[str, str]:
    return {"Authorization": f"Bearer {fuzz_services.keys.create_key('fuzzer')}"}


def test_no_request_gets_a_5xx(fuzz_services: Services, auth: dict[str, str]) -> None:
    # The schema is loaded here rather than with schemathesis' pytest plugin, which this pytest
    # (9.2) breaks; each operation gets its own Hypothesis run, one per generation mode.
    api = schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_services))
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    server_errors: list[str] = []

    for result in api.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: the request is reported as sent
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def send(case: Any) -> None:
                if time.monotonic() > deadline:
                    return
                response = case.call(headers=auth)
                if response.status_code >= 500:
                    server_errors.append(
                        f"{case.method} {case.formatted_path} → {response.status_code}\n"
                        f"  request: {case.as_curl_command(headers=auth)}\n  response: {response.text[:500]}"
                    )

            with contextlib.suppress(Unsatisfiable):  # negative mode, and nothing to get wrong
                send()
    assert not server_errors, "\n".join(server_errors[:20])
