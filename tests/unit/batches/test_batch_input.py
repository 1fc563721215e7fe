"""Batch input files, checked line by line before any line is answered."""

from __future__ import annotations

import json

from longdoc.batches.validation import MAX_REPORTED_ERRORS, read_input

ENDPOINT = "/v1/chat/completions"


def request(custom_id: object = "r1", **overrides: object) -> bytes:
    line = {
        "custom_id": custom_id,
        "method": "POST",
        "url": ENDPOINT,
        "body": {"model": "qwen-long", "messages": [{"role": "user", "content": "hi"}]},
    }
    line.update(overrides)
    return json.dumps({k: v for k, v in line.items() if v is not ...}).encode() + b"\n"


def check(
    *lines: bytes, max_requests: int = 100
) -> tuple[list[tuple[int, str]], list[tuple[str, int | None]]]:
    result = read_input(list(lines), endpoint=ENDPOINT, max_requests=max_requests)
    return [(x.line_no, x.custom_id) for x in result.lines], [(e.code, e.line) for e in result.errors]


def test_good_lines_keep_their_numbers_and_bodies() -> None:
    result = read_input([request("a"), b"\n", b"   \r\n", request("b")], endpoint=ENDPOINT, max_requests=10)
    assert [(x.line_no, x.custom_id) for x in result.lines] == [(1, "a"), (4, "b")]
    assert json.loads(result.lines[0].body)["messages"][0]["content"] == "hi"
    assert result.errors == []


def test_each_broken_rule_is_reported_with_its_line() -> None:
    lines, errors = check(
        request("ok"),
        b'{"custom_id": "x", "method": "POST", "url": "/v1/chat/completions", "body": {',
        request(...),
        request(""),
        request("ok"),
        request("u", url="/v1/embeddings"),
        request("m", method="GET"),
        request("b", body="text"),
        b"[1, 2]\n",
        b"\xff\xfe not utf-8\n",
    )
    assert lines == [(1, "ok")]
    assert errors == [
        ("invalid_json_line", 2),
        ("missing_custom_id", 3),
        ("missing_custom_id", 4),
        ("duplicate_custom_id", 5),
        ("invalid_url", 6),
        ("invalid_method", 7),
        ("missing_body", 8),
        ("invalid_json_line", 9),
        ("invalid_json_line", 10),
    ]


def test_messages_name_the_problem() -> None:
    result = read_input(
        [request("a"), request("a"), request("z", url="/v1/files")], endpoint=ENDPOINT, max_requests=10
    )
    duplicate, url = result.errors
    assert "repeats custom_id 'a'" in duplicate.message and duplicate.param == "custom_id"
    assert "'/v1/files'" in url.message and ENDPOINT in url.message


def test_too_many_requests() -> None:
    _, errors = check(*(request(f"r{i}") for i in range(5)), max_requests=3)
    assert errors == [("too_many_requests", 4)]


def test_an_empty_file() -> None:
    assert check(b"\n", b"  ") == ([], [("empty_file", None)])


def test_error_reports_are_capped() -> None:
    _, errors = check(*(b"not json\n" for _ in range(MAX_REPORTED_ERRORS + 50)))
    assert len(errors) == MAX_REPORTED_ERRORS
