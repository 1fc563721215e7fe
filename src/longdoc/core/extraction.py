"""What a request asks of extraction beyond its schema: grounding, identity, a profile, examples.

Chat carries these untouched (``ChatRequest.extraction``); only the ``extraction`` package reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from longdoc.core.errors import InvalidRequest

EXAMPLES_PARAM = "x_extraction_examples"
MAX_EXAMPLES = 8
MAX_EXAMPLE_CHARS = 4_000  # an example's text, and its output written as JSON, each
MAX_EXAMPLES_CHARS = 16_000  # all examples' texts and outputs together
_SHAPE = '{"text": "<a short example document>", "output": <the JSON the schema wants for it>}'


@dataclass(frozen=True)
class ExtractionExample:
    """A caller's few-shot example: a short document and the answer wanted for it."""

    text: str
    output: Any  # JSON, checked against the request's schema by extraction


@dataclass(frozen=True)
class ExtractionOptions:
    grounding: bool = False  # x_grounding: extracted items carry their ``_source`` spans
    dedupe_keys: tuple[str, ...] = ()  # x_dedupe_keys: fields that identify an extracted item
    profile: str | None = None  # x_extraction_profile: opt-in domain rules for extraction
    examples: tuple[ExtractionExample, ...] = ()  # x_extraction_examples: shown before each part


def parse_examples(data: Any) -> tuple[ExtractionExample, ...]:
    """Examples from JSON data (a request field or a file), within the bounds above; anything else
    is InvalidRequest naming ``x_extraction_examples`` and what is wrong."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise _invalid(f"{EXAMPLES_PARAM} must be a list of {_SHAPE} objects")
    if len(data) > MAX_EXAMPLES:
        raise _invalid(f"{EXAMPLES_PARAM} holds {len(data)} examples; at most {MAX_EXAMPLES} are accepted")
    examples: list[ExtractionExample] = []
    total = 0
    for n, item in enumerate(data):
        where = f"{EXAMPLES_PARAM}[{n}]"
        if not isinstance(item, dict) or set(item) != {"text", "output"}:
            raise _invalid(f"{where} must be an object {_SHAPE}, with these two keys only")
        text = item["text"]
        if not isinstance(text, str) or not text.strip():
            raise _invalid(f"{where}.text must be a non-empty string")
        if len(text) > MAX_EXAMPLE_CHARS:
            raise _invalid(
                f"{where}.text is {len(text):,} characters; an example's text may be at most "
                f"{MAX_EXAMPLE_CHARS:,}"
            )
        output = json.dumps(item["output"], ensure_ascii=False)
        if len(output) > MAX_EXAMPLE_CHARS:
            raise _invalid(
                f"{where}.output is {len(output):,} characters as JSON; an example's output may be at "
                f"most {MAX_EXAMPLE_CHARS:,}"
            )
        total += len(text) + len(output)
        examples.append(ExtractionExample(text, item["output"]))
    if total > MAX_EXAMPLES_CHARS:
        raise _invalid(
            f"{EXAMPLES_PARAM} hold {total:,} characters of text and output in all; "
            f"at most {MAX_EXAMPLES_CHARS:,} are accepted"
        )
    return tuple(examples)


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, param=EXAMPLES_PARAM)
