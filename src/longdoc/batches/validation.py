"""Reading a batch input file: one JSON request per line, each checked before any is answered.

A line must be a JSON object with a unique, non-empty ``custom_id``, ``method`` POST, ``url`` the
batch's endpoint and a ``body`` object. Lines that break these rules fail the whole batch (with
their line numbers), as the services do; a body the model cannot answer (unknown model, missing
file) is found when the line runs, and lands in the error file instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from longdoc.core.batches import BatchLineError

MAX_REPORTED_ERRORS = 100


@dataclass(frozen=True)
class InputLine:
    line_no: int  # 1-based, counting every line of the file
    custom_id: str
    body: str  # the request body, re-serialised as JSON


@dataclass(frozen=True)
class ValidatedInput:
    lines: list[InputLine]
    errors: list[BatchLineError]


def read_input(raw_lines: Iterable[bytes], *, endpoint: str, max_requests: int) -> ValidatedInput:
    lines: list[InputLine] = []
    errors: list[BatchLineError] = []
    seen: set[str] = set()

    faults = 0

    def error(code: str, message: str, line_no: int | None, param: str | None = None) -> None:
        nonlocal faults
        faults += 1
        if len(errors) < MAX_REPORTED_ERRORS:
            errors.append(BatchLineError(code=code, message=message, param=param, line=line_no))

    for line_no, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        try:
            request = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            error("invalid_json_line", f"Line {line_no} is not valid JSON: {exc}.", line_no)
            continue
        if not isinstance(request, dict):
            error("invalid_json_line", f"Line {line_no} is not a JSON object.", line_no)
            continue
        faults_before = faults
        custom_id = request.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            error(
                "missing_custom_id",
                f"Line {line_no} has no custom_id (a non-empty string).",
                line_no,
                "custom_id",
            )
        elif custom_id in seen:
            error(
                "duplicate_custom_id",
                f"Line {line_no} repeats custom_id {custom_id!r}; each request needs its own.",
                line_no,
                "custom_id",
            )
        else:
            seen.add(custom_id)
        method = request.get("method")
        if method != "POST":
            error(
                "invalid_method",
                f"Line {line_no} has method {method!r}; only POST is supported.",
                line_no,
                "method",
            )
        url = request.get("url")
        if url != endpoint:
            error(
                "invalid_url",
                f"Line {line_no} has url {url!r}, but this batch's endpoint is {endpoint!r}.",
                line_no,
                "url",
            )
        body = request.get("body")
        if not isinstance(body, dict):
            error("missing_body", f"Line {line_no} has no request body (a JSON object).", line_no, "body")
        if faults == faults_before:
            lines.append(InputLine(line_no, str(custom_id), json.dumps(body, ensure_ascii=False)))
        if len(seen) > max_requests:
            error(
                "too_many_requests",
                f"The file holds more than {max_requests:,} requests, the most one batch may hold.",
                line_no,
            )
            break
    if not lines and not errors:
        error("empty_file", "The input file holds no requests.", None)
    return ValidatedInput(lines, errors)
