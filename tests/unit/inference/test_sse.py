from __future__ import annotations

from longdoc.inference.sse import sse_data


def test_data_payloads_up_to_done() -> None:
    lines = [
        ": keep-alive",
        "",
        'data: {"a": 1}',
        "",
        "event: x",
        'data:{"b":',
        "data: 2}",
        "",
        "data: [DONE]",
        "",
        'data: {"late": true}',
        "",
    ]
    assert list(sse_data(lines)) == ['{"a": 1}', '{"b":\n2}']


def test_last_event_without_blank_line_is_kept() -> None:
    assert list(sse_data(["data: x"])) == ["x"]
