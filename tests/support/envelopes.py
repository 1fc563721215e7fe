"""Assertions on error envelopes, the same for every route."""

from __future__ import annotations

from typing import Any


def assert_openai_error(
    response: Any,
    status: int,
    *,
    param: str | None = None,
    code: str | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers.get("x-request-id")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"]
    if param is not None:
        assert error["param"] == param, error
    if code is not None:
        assert error["code"] == code, error
    if message is not None:
        assert error["message"] == message, error
    return error
