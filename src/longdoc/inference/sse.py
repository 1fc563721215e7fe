"""Server-sent events, read line by line: just the ``data`` payloads an OpenAI stream carries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def sse_data(lines: Iterable[str]) -> Iterator[str]:
    """Each event's data (multi-line data joined with newlines), up to ``[DONE]``."""
    data: list[str] = []
    for line in lines:
        if not line:  # a blank line ends an event
            if data:
                payload = "\n".join(data)
                data = []
                if payload == "[DONE]":
                    return
                yield payload
            continue
        if line.startswith(":"):
            continue  # a comment, e.g. a keep-alive
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data and "\n".join(data) != "[DONE]":
        yield "\n".join(data)
